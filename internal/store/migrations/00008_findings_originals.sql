-- +goose Up
-- Deduplication looks for the oldest finding of a product that is not a
-- duplicate itself, by hash_code or unique_id_from_tool: index only those.
-- Most stored findings are duplicates (each CI run reports the same
-- findings again), so these indexes are smaller than the ones they
-- replace, and a duplicate costs nothing to index.
CREATE INDEX findings_product_hash_original ON findings (product, hash_code, id) WHERE NOT duplicate;
CREATE INDEX findings_product_unique_original ON findings (product, unique_id_from_tool, id)
    WHERE NOT duplicate AND unique_id_from_tool IS NOT NULL;
DROP INDEX findings_product_hash;
DROP INDEX findings_product_unique;

-- +goose Down
CREATE INDEX findings_product_hash ON findings (product, hash_code, id);
CREATE INDEX findings_product_unique ON findings (product, unique_id_from_tool, id) WHERE unique_id_from_tool IS NOT NULL;
DROP INDEX findings_product_hash_original;
DROP INDEX findings_product_unique_original;
