// Command probe is the containers' health check: it GETs a URL (a
// process's /readyz or /healthz) and exits 0 only on 200, so images need
// no curl or wget.
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: probe http://127.0.0.1:5000/readyz")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(os.Args[1]) //nolint:gosec // G704: the address probed is the probe's own argument, given by the deployment
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(1)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "probe:", os.Args[1], "answered", resp.Status)
		os.Exit(1)
	}
}
