package findings

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/secbot/secbot/internal/findings/input"
)

// noteJSON is a note (finding_notes aliased n) as DefectDojo shows it,
// its author as {id, username, first_name, last_name}.
const noteJSON = `json_build_object('id', n.id,
	'author', (SELECT json_build_object('id', u.id, 'username', u.username, 'first_name', u.first_name,
		'last_name', u.last_name) FROM dd_users u WHERE u.id = n.author),
	'editor', NULL, 'history', '[]'::json, 'entry', n.entry,
	'date', to_char(n.date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
	'private', n.private, 'edited', false, 'note_type', n.note_type)`

// notesOf is the SQL of a finding's notes (findings aliased f), oldest first.
const notesOf = `coalesce((SELECT json_agg(` + noteJSON + ` ORDER BY n.id) FROM finding_notes n WHERE n.finding = f.id), '[]'::json)`

// Note is a new note: its text and whether only staff may read it.
type Note struct {
	Entry   string
	Private bool
}

// Notes returns a finding's notes, oldest first, or ErrNotFound.
func (s *Service) Notes(ctx context.Context, finding int) (json.RawMessage, error) {
	var raw json.RawMessage
	err := s.pool.QueryRow(ctx, `SELECT `+notesOf+` FROM findings f WHERE f.id = $1`, finding).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	return raw, err
}

// AddNote adds a note by userID to a finding and returns it as shown, or
// ErrNotFound, or a *ValidationError for an empty or unstorable entry.
func (s *Service) AddNote(ctx context.Context, finding, userID int, n Note) (json.RawMessage, error) {
	switch msg := input.TextProblem(n.Entry); {
	case msg != "":
		return nil, &ValidationError{Errors: input.Errors{"entry": {msg}}}
	case strings.TrimSpace(n.Entry) == "":
		return nil, &ValidationError{Errors: input.Errors{"entry": {msgBlank}}}
	case utf8.RuneCountInString(n.Entry) > MaxNoteRunes:
		return nil, &ValidationError{Errors: input.Errors{"entry": {fmt.Sprintf("Ensure this field has no more than %d characters.", MaxNoteRunes)}}}
	}
	var raw json.RawMessage
	err := s.pool.QueryRow(ctx, `
		WITH n AS (
			INSERT INTO finding_notes (finding, author, entry, private)
			SELECT f.id, (SELECT id FROM dd_users WHERE id = $2), $3, $4 FROM findings f WHERE f.id = $1
			RETURNING *
		) SELECT `+noteJSON+` FROM n`, finding, userID, n.Entry, n.Private).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	return raw, err
}

// MaxNoteRunes bounds a note's text.
const MaxNoteRunes = 100000
