package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowser triages a finding the way a person does, in headless
// Chromium (Debian's chromium package; scripts/deps.sh installs it): sign
// in from a link to the check, open the finding, mark it a false
// positive, see the check turn to success, sign out. It saves screenshots
// of the pages in SECBOT_SCREENSHOT_DIR (make screenshots), else in a
// temporary directory.
func TestBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("this test needs Chromium: run make deps (apt-get install chromium): %v", err)
	}
	shots := os.Getenv("SECBOT_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	s := newSite(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()), chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	do := func(step string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	get := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		v, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("reading %s: %v", what, err)
		}
		return v
	}
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
			err = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
	}

	do("the check link leads to the sign-in page",
		chromedp.Navigate(s.url+"/check/"+checkID), chromedp.WaitVisible(chromedp.ID("username")))
	shot("login")
	if location := get("the location", chromedp.Location()); !strings.Contains(location, "/login?next=") {
		t.Fatalf("a check link without a session went to %s", location)
	}
	do("signing in returns to the check",
		chromedp.SendKeys(chromedp.ID("username"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.CSS("main button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("h1 .verdict")))
	shot("check")
	location := get("the location", chromedp.Location())
	if verdict := get("the verdict", chromedp.Text(chromedp.CSS("h1 .verdict"))); !strings.HasSuffix(location, "/check/"+checkID) || verdict != "fail" {
		t.Fatalf("after signing in: %s, verdict %q; want the check page saying fail", location, verdict)
	}
	do("the check page links the finding",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/finding/%d"]`, s.finding))),
		chromedp.WaitVisible(chromedp.ID("triage-h")))
	shot("finding")
	if h1 := get("the heading", chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "Hard Coded Asymmetric Private Key") {
		t.Fatalf("finding page heading: %q", h1)
	}
	do("marking it a false positive",
		chromedp.Click(chromedp.CSS(`button[value="false_positive"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice")))
	if state := get("the status", chromedp.Text(chromedp.CSS(".state strong"))); state != "False positive" {
		t.Fatalf("after triage the finding is %q", state)
	}
	do("back to the check", chromedp.Navigate(s.url+"/check/"+checkID), chromedp.WaitVisible(chromedp.CSS("h1 .verdict")))
	if verdict := get("the verdict", chromedp.Text(chromedp.CSS("h1 .verdict"))); verdict != "success" {
		t.Fatalf("after triage the check says %q, want success", verdict)
	}
	do("the dashboard", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.ID("checks-h")))
	shot("dashboard")
	do("the product page", chromedp.Navigate(fmt.Sprintf("%s/product/%d?status=all", s.url, s.product)),
		chromedp.WaitVisible(chromedp.CSS(".filters")))
	shot("product")
	do("the finding page on a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
		chromedp.Navigate(fmt.Sprintf("%s/finding/%d", s.url, s.finding)), chromedp.WaitVisible(chromedp.ID("triage-h")))
	shot("finding-phone")
	do("signing out", chromedp.EmulateViewport(1280, 900),
		chromedp.Click(chromedp.CSS("button.link")), chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.ID("username")))
	if location := get("the location", chromedp.Location()); !strings.Contains(location, "/login") {
		t.Fatalf("after signing out the dashboard opened at %s", location)
	}
	for _, name := range []string{"login", "check", "finding", "dashboard", "product", "finding-phone"} {
		if info, err := os.Stat(filepath.Join(shots, name+".png")); err != nil || info.Size() < 1000 {
			t.Fatalf("screenshot %s: %v", name, err)
		}
	}
}
