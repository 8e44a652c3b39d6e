// Package reportrender streams audit events into CSV and XLSX report files that are safe to
// open in a spreadsheet.
//
// # Columns and dates
//
// Every file has the header row Columns — Date, Author, Event Category, Event Summary,
// Description, Outcome, Source IP, Target, Event ID, Tenant — and one row per event. Dates
// are RFC 3339 (an ISO 8601 profile) to the second, in the report's time zone, always with a
// numeric offset ("2026-03-29T02:30:00+01:00", "2026-11-23T08:00:00+00:00"). A nil location
// means UTC.
//
// # Formula injection
//
// Both formats pass every cell through SafeCell (OWASP "CSV Injection", ASVS 5.0 1.2.10):
// a cell whose first character is = + - @, tab, CR, LF or NUL, one of their full-width or small
// forms (＝ ＋ － ＠ ﹦ ﹢ ﹣ ﹫), or such a character after leading spaces or zero-width
// characters, gets a single quote (') in front. Nothing else is changed, so the original
// text is the cell without its first character; spreadsheets show the quote. A negative
// number such as "-5" is quoted too. The Date column cannot start with a trigger.
//
// CSV cells go through SafeCSVCell, which also puts a quote after a comma, semicolon, tab or
// line break that is followed (past spaces, invisible characters and double quotes) by a
// trigger: "x;=cmd|' /C calc'!A0" is written as "x;'=cmd|' /C calc'!A0". Every field is
// quoted, so a reader that follows RFC 4180 never splits a cell; the inner quote protects
// against those that split anyway (Excel in a locale whose list separator is ";", import
// wizards with the text qualifier off, line-based tools), which would otherwise read the
// second half as a formula. Formulas built across cells (WEBSERVICE or HYPERLINK with
// "&A2", DDE "cmd|") are thus broken at every piece.
//
// # CSV
//
// RFC 4180 with every field quoted (the header too), comma-separated, records ending in
// CRLF, a header row. The file starts with a UTF-8 byte order mark by default, because
// Excel reads a CSV without one in the legacy code page; WithBOM(false) turns it off for
// other consumers. Line breaks inside a cell are written as CRLF and read back as LF (a lone
// CR becomes LF), and invalid UTF-8 is replaced by U+FFFD. Cells are not truncated. The
// writer holds one row at a time: memory does not grow with the row count.
//
// # XLSX
//
// Written with excelize's StreamWriter. Every cell is an inline string (t="inlineStr"):
// the workbook holds no formula element and no number, and the SafeCell quote also protects
// a cell that a user edits and confirms. Characters XML 1.0 cannot carry (control
// characters other than tab, CR and LF) become U+FFFD. The header row is bold and frozen.
//
//   - Sheets roll over at MaxSheetRows (1,048,576) rows, the header row of each sheet
//     included: "Audit log", "Audit log (2)", ... Each sheet repeats the header. A sheet
//     also rolls over early when its text nears 512 MiB, so that its XML stays below the
//     4 GiB zip entry size that Excel checks strictly.
//   - A cell longer than MaxCellChars (32,767 UTF-16 code units) is cut on a character
//     boundary and ends with TruncationMarker ("…[truncated]"), the whole within the limit.
//     The CSV of the same report keeps the full text.
//   - Memory is bounded: the StreamWriter spills sheet XML to a temporary file (WithTempDir)
//     past 16 MiB, and Close zips the workbook straight into the destination. excelize's own
//     File.Write and File.SaveAs first build the whole zip in a bytes.Buffer (excelize issue
//     2357), which for a million rows peaks near three times the RSS; see
//     scripts/bench-report-rss.sh.
//
// # Compression
//
// NewCompressed wraps the destination in a zip archive holding the one report file, or in a
// gzip stream ("csv.gz"), for reports configured with compression: zip or gzip.
package reportrender
