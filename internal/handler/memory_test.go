package handler_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/secbot/secbot/internal/handler"
)

// Of workers racing to record one value, exactly one sees the swap, as
// with the store's marks.
func TestMemoryMarksSwapOnce(t *testing.T) {
	ctx := context.Background()
	var m handler.MemoryMarks
	if _, ok, _ := m.Marked(ctx, "message"); ok {
		t.Fatal("a new step is marked")
	}
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := m.Swap(ctx, "message", "sent"); ok {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d swaps changed the mark, want 1", won.Load())
	}
	if ok, _ := m.Swap(ctx, "message", "edited"); !ok {
		t.Fatal("a new value did not swap")
	}
	if err := m.Mark(ctx, "note", "42"); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := m.Marked(ctx, "note"); !ok || v != "42" {
		t.Fatalf("Marked(note) = %q, %v", v, ok)
	}
}
