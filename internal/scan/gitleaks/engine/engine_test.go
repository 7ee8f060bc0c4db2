package engine

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"
)

// TestFilesAtLeavesOutLargeFiles: cat-file's answer for a file larger than
// MaxFileAt is read past, not into memory, and the files after it are
// read as usual.
func TestFilesAtLeavesOutLargeFiles(t *testing.T) {
	big := bytes.Repeat([]byte("x"), MaxFileAt+1)
	var answer bytes.Buffer
	fmt.Fprintf(&answer, "1111111111111111111111111111111111111111 blob %d\n%s\n", len(big), big)
	answer.WriteString("HEAD:gone missing\n")
	fmt.Fprintf(&answer, "2222222222222222222222222222222222222222 blob 5\nsmall\n")
	files, err := readBatch(bufio.NewReader(&answer), []string{"big.txt", "gone", "small.txt"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := files["big.txt"]; ok {
		t.Error("a file larger than MaxFileAt was read")
	}
	if _, ok := files["gone"]; ok {
		t.Error("a missing file is in the map")
	}
	if got := string(files["small.txt"]); got != "small" {
		t.Errorf("the file after the large one: %q", got)
	}
}
