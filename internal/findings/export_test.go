package findings

// UniqueIDOnlyScanType is a scan type, known only to the tests, that
// deduplicates by unique_id_from_tool alone (as DefectDojo configures
// some parsers; see TestDeduplicationByUniqueIDAlone).
const UniqueIDOnlyScanType = "Unique ID Only (test)"

func init() { dedupByScanType[UniqueIDOnlyScanType] = Dedup{ByUniqueID, legacyFields} }
