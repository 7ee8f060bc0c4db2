package findings

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// repeated is the finding a report repeats, merged as it is read: the
// first, counting every repeat and joining their descriptions in a
// bounded text, so that a report repeating one finding a million times
// costs a million small steps, not a growing copy each time.
type repeated struct {
	index int // the first's place (Parse: in the list; an import: its ord)
	first Finding
	desc  boundedText
	n     int // occurrences
	count int // findings merged
}

func newRepeated(index int, f Finding) *repeated {
	g := &repeated{index: index, first: f, n: max(f.NbOccurences, 1), count: 1}
	g.desc.limit = MaxDescription
	g.desc.add(f.Description)
	return g
}

func (g *repeated) add(f Finding) {
	g.n += max(f.NbOccurences, 1)
	g.count++
	if g.first.RepeatSeparator != "" {
		g.desc.add(g.first.RepeatSeparator)
		g.desc.add(f.Description)
	}
}

// merged is the one finding the repeats make.
func (g *repeated) merged() Finding {
	f := g.first
	f.NbOccurences = g.n
	f.Description = g.desc.String()
	return f
}

// mergeBatch is how many staged rows mergeRepeats reads, and how many
// merged findings it writes back, at a time.
const mergeBatch = 1000

// mergeRepeats makes the staged findings that share a repeat key one
// finding, as Parse does: the first keeps the merged description and
// count and is hashed again; the others are deleted. The repeated rows are
// read in key order through a cursor and the merged ones written back a
// batch at a time, so memory stays bounded however many there are.
func mergeRepeats(ctx context.Context, tx pgx.Tx, prep *preparer) error {
	if _, err := tx.Exec(ctx, `
		DECLARE repeats NO SCROLL CURSOR FOR
		SELECT s.ord, s.repeat_key, s.repeat_separator, s.nb_occurences, s.description, s.title, s.cwe,
			coalesce(s.line, 0), coalesce(s.file_path, ''), s.severity, s.vulnerability_ids,
			coalesce(s.vuln_id_from_tool, ''), coalesce(s.service, ''), coalesce(s.component_name, ''),
			coalesce(s.component_version, ''), coalesce(s.unique_id_from_tool, '')
		FROM staged s JOIN (
			SELECT repeat_key FROM staged WHERE repeat_key IS NOT NULL GROUP BY repeat_key HAVING count(*) > 1
		) r ON r.repeat_key = s.repeat_key
		ORDER BY s.repeat_key, s.ord`); err != nil {
		return fmt.Errorf("merging repeated findings: %w", err)
	}
	var out mergedBatch
	var g *repeated
	for {
		rows, err := tx.Query(ctx, fmt.Sprintf(`FETCH %d FROM repeats`, mergeBatch))
		if err != nil {
			return fmt.Errorf("merging repeated findings: %w", err)
		}
		var ord, nb int
		var f Finding
		read, err := pgx.ForEachRow(rows, []any{&ord, &f.RepeatKey, &f.RepeatSeparator, &nb, &f.Description, &f.Title,
			&f.CWE, &f.Line, &f.FilePath, &f.Severity, &f.VulnerabilityIDs, &f.VulnIDFromTool, &f.Service,
			&f.ComponentName, &f.ComponentVersion, &f.UniqueIDFromTool}, func() error {
			f.NbOccurences = nb
			if g != nil && g.first.RepeatKey == f.RepeatKey {
				g.add(f)
				return nil
			}
			if g != nil {
				out.add(g, prep)
			}
			g = newRepeated(ord, f)
			return nil
		})
		if err != nil {
			return fmt.Errorf("merging repeated findings: %w", err)
		}
		if read.RowsAffected() < mergeBatch && g != nil {
			out.add(g, prep)
			g = nil
		}
		if len(out.ords) >= mergeBatch || read.RowsAffected() < mergeBatch {
			if err := out.write(ctx, tx); err != nil {
				return err
			}
		}
		if read.RowsAffected() < mergeBatch {
			break
		}
	}
	_, err := tx.Exec(ctx, `
		CLOSE repeats;
		DELETE FROM staged s USING (
			SELECT repeat_key, min(ord) AS first FROM staged WHERE repeat_key IS NOT NULL GROUP BY repeat_key HAVING count(*) > 1
		) r WHERE s.repeat_key = r.repeat_key AND s.ord <> r.first`)
	if err != nil {
		return fmt.Errorf("merging repeated findings: %w", err)
	}
	return nil
}

// mergedBatch holds merged findings until they are written back.
type mergedBatch struct {
	ords, counts         []int
	descriptions, hashes []string
}

func (b *mergedBatch) add(g *repeated, prep *preparer) {
	f := g.merged()
	b.ords = append(b.ords, g.index)
	b.counts = append(b.counts, f.NbOccurences)
	b.descriptions = append(b.descriptions, f.Description)
	b.hashes = append(b.hashes, HashCode(f, prep.hashFields(f)))
}

func (b *mergedBatch) write(ctx context.Context, tx pgx.Tx) error {
	if len(b.ords) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		UPDATE staged s SET nb_occurences = m.n, description = m.description, hash_code = m.hash
		FROM unnest($1::integer[], $2::integer[], $3::text[], $4::text[]) AS m(ord, n, description, hash)
		WHERE s.ord = m.ord`, b.ords, b.counts, b.descriptions, b.hashes)
	if err != nil {
		return fmt.Errorf("merging repeated findings: %w", err)
	}
	*b = mergedBatch{}
	return nil
}
