package pushguard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/secbot/secbot/internal/pushreport"
)

// report sends rep to SecBot within the report timeout. It never fails the
// push: a failure is one line for the pusher.
func (g *Guard) report(rep pushreport.Report) {
	if g.Config.ReportURL == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.Config.ReportTimeout)
	defer cancel()
	if err := g.send(ctx, rep); err != nil {
		g.say("SecBot push protection: this push could not be reported to SecBot (%v); the push is not affected.", err)
	}
}

func (g *Guard) send(ctx context.Context, rep pushreport.Report) error {
	body, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	url := strings.TrimRight(g.Config.ReportURL, "/") + pushreport.Path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+g.Config.Token)
	client := g.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("SecBot answered %s", resp.Status)
	}
	return nil
}
