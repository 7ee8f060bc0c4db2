package xmlstream

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/secbot/secbot/internal/findings"
)

// readAll reads a document's every token, returning the text of each
// element named "t" and the first error.
func readAll(doc string) ([]string, error) {
	d := New(strings.NewReader(doc))
	root, err := d.Root()
	if err != nil {
		return nil, err
	}
	var texts []string
	var walk func(xml.StartElement) error
	walk = func(start xml.StartElement) error {
		if start.Name.Local == "t" {
			text, err := d.Text()
			texts = append(texts, text)
			return err
		}
		return d.Children(walk)
	}
	if err := walk(root); err != nil {
		return texts, err
	}
	_, err = d.Token()
	for err == nil {
		_, err = d.Token()
	}
	if err == io.EOF {
		err = nil
	}
	return texts, err
}

func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHostileDocuments reads documents made to exhaust or trick an XML
// reader: each is refused with an error that names the cause and where.
func TestHostileDocuments(t *testing.T) {
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
		`<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><lolz>&lol3;</lolz>`
	for _, tt := range []struct {
		name, doc string
		want      error
		line      int
	}{
		{"billion laughs", laughs, ErrEntityDeclared, 1},
		{"external entity", "<?xml version=\"1.0\"?>\n<!DOCTYPE r [\n<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<r><t>&xxe;</t></r>",
			ErrEntityDeclared, 3},
		{"parameter entity", `<!DOCTYPE r [<!ENTITY % p SYSTEM "http://example.com/evil.dtd"> %p;]><r/>`, ErrEntityDeclared, 1},
		{"entity declared alone", `<!ENTITY x "y"><r/>`, ErrEntityDeclared, 1},
		{"deep nesting", strings.Repeat("<a>", MaxDepth+1) + strings.Repeat("</a>", MaxDepth+1), ErrTooDeep, 1},
		{"huge tag", `<r a="1"` + strings.Repeat(` b="`+strings.Repeat("x", 1000)+`"`, maxTag/1000+1) + `/>`, ErrTagTooLarge, 1},
		{"huge doctype", `<!DOCTYPE r "` + strings.Repeat("x", maxMarkup) + `"><r/>`, ErrMarkupTooLarge, 1},
		{"huge processing instruction", `<?pi ` + strings.Repeat("x", maxMarkup) + `?><r/>`, ErrMarkupTooLarge, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(tt.doc)
			var at *Error
			if !errors.Is(err, tt.want) || !errors.As(err, &at) || at.Line != tt.line {
				t.Fatalf("err = %v, want %v at line %d", err, tt.want, tt.line)
			}
			if !errors.Is(FormatError(err, "a report"), findings.ErrFormat) {
				t.Fatalf("%v is no format error", err)
			}
		})
	}
}

// TestUndefinedEntities: no entity but XML's five and character
// references is known, so none is expanded.
func TestUndefinedEntities(t *testing.T) {
	texts, err := readAll(`<r><t>&lt;&amp;&#233;&#x41;</t></r>`)
	if err != nil || len(texts) != 1 || texts[0] != "<&éA" {
		t.Fatalf("predefined entities: %q, %v", texts, err)
	}
	for _, doc := range []string{"<r>\n<t>&nbsp;</t></r>", "<r>\n<t a=\"&ext;\"/></r>"} {
		_, err := readAll(doc)
		var at *Error
		if !errors.As(err, &at) || at.Line != 2 || !strings.Contains(err.Error(), "entity") {
			t.Fatalf("%s: err = %v, want an undefined entity at line 2", doc, err)
		}
	}
}

// TestDoctypeWithoutEntities is read: a DOCTYPE declares nothing that
// changes the document unless it declares entities.
func TestDoctypeWithoutEntities(t *testing.T) {
	texts, err := readAll(`<!DOCTYPE r [<!ELEMENT r ANY> <!ATTLIST r a CDATA "x>y">]><r><t>ok</t></r>`)
	if err != nil || len(texts) != 1 || texts[0] != "ok" {
		t.Fatalf("%q, %v", texts, err)
	}
}

// TestHugeTextIsShortened reads a document with a 32 MiB text (two-byte
// characters and entity references): the decoder gets it cut on a
// character boundary with the marker, the rest of the document reads on,
// and reading it allocates a small part of the text.
func TestHugeTextIsShortened(t *testing.T) {
	long := strings.Repeat("é&amp;x", 32<<20/8)
	doc := `<r><t>` + long + `</t><t a="` + long + `">next</t><t><![CDATA[` + long + `]]></t></r>`
	var texts []string
	var err error
	used := allocated(func() { texts, err = readAll(doc) })
	if err != nil {
		t.Fatal(err)
	}
	if used > 8<<20 {
		t.Errorf("reading allocated %d MiB: the long text reached the decoder", used>>20)
	}
	if len(texts) != 3 || texts[1] != "next" {
		t.Fatalf("%d texts, the second %.40q", len(texts), texts[1])
	}
	for i, prefix := range map[int]string{0: "é&x", 2: "é&amp;x"} {
		text := texts[i]
		kept := findings.BeforeTruncation(text)
		// The guard counts the bytes of the document it dropped.
		decoded := strings.NewReplacer("&", "&amp;").Replace(kept)
		if i == 2 {
			decoded = kept
		}
		if !utf8.ValidString(text) || len(text) > MaxText+64 || !strings.HasPrefix(text, prefix) ||
			text != kept+findings.TruncationMarker(len(long)-len(decoded)) {
			t.Fatalf("text %d: %d bytes ending %q", i, len(text), text[max(0, len(text)-60):])
		}
	}
}

func TestLongAttributeIsShortened(t *testing.T) {
	d := New(strings.NewReader(`<r a="` + strings.Repeat("é", MaxText) + `" b="kept"/>`))
	root, err := d.Root()
	if err != nil {
		t.Fatal(err)
	}
	e, err := d.Element(root)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := e.Attribute("a")
	b, _ := e.Attribute("b")
	if !findings.IsTruncated(a) || !utf8.ValidString(a) || len(a) > MaxText+64 || b != "kept" {
		t.Fatalf("a: %d bytes, truncated %v; b = %q", len(a), findings.IsTruncated(a), b)
	}
}

// TestElementTooLarge: an element read whole is bounded, by its bytes and
// by its count of elements.
func TestElementTooLarge(t *testing.T) {
	for name, inner := range map[string]string{
		"long texts":    strings.Repeat("<v>"+strings.Repeat("x", 60000)+"</v>", findings.MaxReportValue/60000+1),
		"many elements": strings.Repeat("<v/>", findings.MaxReportValue/elementNodeCost+1),
	} {
		t.Run(name, func(t *testing.T) {
			d := New(strings.NewReader("<r>\n<item>" + inner + "</item></r>"))
			root, err := d.Root()
			if err != nil {
				t.Fatal(err)
			}
			err = d.Children(func(start xml.StartElement) error {
				_, err := d.Element(start)
				return err
			})
			if !errors.Is(err, ErrValueTooLarge) || !strings.Contains(err.Error(), "split the report") ||
				!strings.Contains(err.Error(), "line 2") {
				t.Fatalf("%s: err = %v", root.Name.Local, err)
			}
		})
	}
}

// TestBrokenDocumentsSayWhere: errors give the line and byte offset of
// the document where it broke, counted on the document as sent (with
// its shortened texts and dropped comments).
func TestBrokenDocumentsSayWhere(t *testing.T) {
	long := strings.Repeat("a\n", MaxText)
	for _, tt := range []struct {
		name, doc string
		line      int
	}{
		{"mismatched tag", "<r>\n<t>x</u>\n</r>", 2},
		{"cut short", "<r>\n<t>x</t>\n<t>", 3},
		{"after a long text", "<r><t>" + long + "</t>\n<t>&bad;</t></r>", MaxText + 2},
		{"after a comment", "<r><!--" + long + "-->\n<t></x></r>", MaxText + 2},
		{"not XML", `{"results": [`, 1},
		{"binary", "\x00\x01\x02", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(tt.doc)
			var at *Error
			if !errors.As(err, &at) || at.Line != tt.line || at.Offset <= 0 || at.Offset > int64(len(tt.doc)) {
				t.Fatalf("err = %#v (%v), want one at line %d", err, err, tt.line)
			}
		})
	}
	if _, err := readAll("  \n "); !errors.Is(err, ErrNoRoot) {
		t.Fatalf("white space only: %v", err)
	}
}

func TestElementLookups(t *testing.T) {
	doc := `<r xmlns="urn:x" xmlns:v="urn:v"><a k="1">one<b>x</b>tail</a><v:a k="2"><c><b n="deep">y</b></c></v:a><a/></r>`
	d := New(strings.NewReader("\xef\xbb\xbf" + doc))
	root, err := d.Root()
	if err != nil {
		t.Fatal(err)
	}
	e, err := d.Element(root)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.FindAll("a"); len(got) != 3 || got[1].Name.Space != "urn:v" || got[0].Text != "one" {
		t.Fatalf("FindAll(a) = %+v", got)
	}
	if text, ok := e.FindText("a", "b"); !ok || text != "x" {
		t.Fatalf("FindText(a/b) = %q, %v", text, ok)
	}
	if e.Find("a").Child("b").Text != "x" || e.Find("x") != nil || e.Find("x").Child("b") != nil {
		t.Fatal("Child, or Find of nothing")
	}
	deep := e.Descendant("b", HasAttribute("n", "deep"))
	if deep == nil || deep.Text != "y" {
		t.Fatalf("Descendant = %+v", deep)
	}
	if text, ok := e.FindText("a", "nothing"); ok || text != "" {
		t.Fatalf("FindText of nothing = %q, %v", text, ok)
	}
}

func TestCharsets(t *testing.T) {
	texts, err := readAll("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r><t>caf\xe9</t></r>")
	if err != nil || len(texts) != 1 || texts[0] != "café" {
		t.Fatalf("latin-1: %q, %v", texts, err)
	}
	_, err = readAll(`<?xml version="1.0" encoding="EBCDIC"?><r/>`)
	if err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Fatalf("an unknown charset: %v", err)
	}
}

// TestGuardPassesEverythingElse: a document within the bounds reaches the
// decoder as it is, comments aside, read a byte at a time or at once.
func TestGuardPassesEverythingElse(t *testing.T) {
	doc := `<?xml version="1.0"?><!DOCTYPE r><r a='x"y' b="p&amp;q"><!-- note --><s/>t&#233;xt<![CDATA[<raw>]]]]></r>`
	want := strings.Replace(doc, " note ", "", 1)
	for _, chunk := range []int{1, 7, len(doc)} {
		out, err := io.ReadAll(newGuard(&chunked{s: doc, n: chunk}))
		if err != nil || string(out) != want {
			t.Fatalf("in chunks of %d: %q, %v", chunk, out, err)
		}
	}
}

type chunked struct {
	s string
	n int
}

func (c *chunked) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.s)
	c.s = c.s[n:]
	return n, nil
}

func BenchmarkGuard(b *testing.B) {
	item := `<item id="1"><name>` + strings.Repeat("text é ", 40) + `</name><v a="b"/></item>`
	doc := []byte("<r>" + strings.Repeat(item, 20000) + "</r>")
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, newGuard(bytes.NewReader(doc))); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzGuard: for any document encoding/xml reads, the guarded document
// reads too, to the same tokens when it is within the bounds (comments
// aside), and the guard never panics.
func FuzzGuard(f *testing.F) {
	for _, doc := range []string{`<r a="1"><b>t&amp;</b><![CDATA[x]]><!--c--><?p i?></r>`, `<!DOCTYPE r [<!ELEMENT r ANY>]><r/>`, `<a><b/></a>`} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if len(doc) > 4*MaxText {
			return
		}
		plain, plainErr := tokens(xml.NewDecoder(bytes.NewReader(doc)))
		guarded, guardedErr := tokens(New(bytes.NewReader(doc)).x)
		if plainErr != nil || guardedErr != nil || bytes.Contains(doc, []byte("<!")) {
			return
		}
		if plain != guarded {
			t.Fatalf("%q read as\n%s\nguarded as\n%s", doc, plain, guarded)
		}
	})
}

func tokens(d *xml.Decoder) (string, error) {
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return b.String(), nil
		}
		if err != nil {
			return "", err
		}
		if _, ok := tok.(xml.Comment); !ok {
			fmt.Fprintf(&b, "%#v\n", xml.CopyToken(tok))
		}
	}
}
