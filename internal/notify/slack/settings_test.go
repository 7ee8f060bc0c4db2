package slack

import (
	"strings"
	"testing"

	"github.com/secbot/secbot/internal/config"
)

func component(t *testing.T, settings string) config.Component {
	t.Helper()
	f, err := config.Parse([]byte("components:\n  slack:\n    handler_name: slack\n    config:\n"+settings+
		"jobs:\n  - name: j\n    rules: {gitlab: null}\n    scans: [slack]\n"), config.Env{})
	if err != nil {
		t.Fatal(err)
	}
	return f.Components["slack"]
}

// The original Security Bot's documentation spells the channels
// `channel:`; either spelling works, not both at once.
func TestChannelIsChannels(t *testing.T) {
	t.Parallel()
	n, err := New(component(t, "      token: xoxb\n      channel: [test-sec-security-bot, my-personal-channel]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := n.(*Notifier).settings.Channels; strings.Join(got, ",") != "test-sec-security-bot,my-personal-channel" {
		t.Fatalf("channels = %v", got)
	}
	_, err = New(component(t, "      token: xoxb\n      channel: [a]\n      channels: [b]\n"))
	if err == nil || !strings.Contains(err.Error(), "channels is set too") {
		t.Fatalf("both spellings: err = %v", err)
	}
}
