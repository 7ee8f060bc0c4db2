package engine

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/spf13/viper"
	"github.com/zricethezav/gitleaks/v8/config"
)

// Rules loads gitleaks configurations safely in a long-running process.
//
// gitleaks' own loader keeps state in globals: [extend] counts its depth in
// a package variable that never resets (so extending stops working after
// two loads) and reads through the global viper. Rules parses each file with
// its own viper instance, performs useDefault itself against a default
// parsed once, and serialises Translate, which still reads global viper.
type Rules struct {
	mu        sync.Mutex
	defaultVC config.ViperConfig
	defaults  config.Config
}

// NewRules parses gitleaks' default configuration.
func NewRules() (*Rules, error) {
	silence()
	r := &Rules{}
	vc, err := parseViper([]byte(config.DefaultConfig))
	if err != nil {
		return nil, fmt.Errorf("gitleaks default config: %w", err)
	}
	r.defaultVC = vc
	if r.defaults, err = r.translate(vc); err != nil {
		return nil, fmt.Errorf("gitleaks default config: %w", err)
	}
	return r, nil
}

// Default is gitleaks' default configuration.
func (r *Rules) Default() config.Config { return r.defaults }

// ForRepository builds the configuration of a repository's .gitleaks.toml;
// an empty file means the default. [extend] useDefault is honoured; extend
// paths and URLs are refused, since they would read files of the worker.
func (r *Rules) ForRepository(toml []byte) (config.Config, error) {
	if len(bytes.TrimSpace(toml)) == 0 {
		return r.defaults, nil
	}
	vc, err := parseViper(toml)
	if err != nil {
		return config.Config{}, fmt.Errorf(".gitleaks.toml: %w", err)
	}
	if vc.Extend.Path != "" || vc.Extend.URL != "" {
		return config.Config{}, errors.New(".gitleaks.toml: [extend] path and url are not supported by SecBot; use useDefault = true")
	}
	if vc.Extend.UseDefault {
		vc = mergeDefault(vc, r.defaultVC)
	}
	cfg, err := r.translate(vc)
	if err != nil {
		return config.Config{}, fmt.Errorf(".gitleaks.toml: %w", err)
	}
	return cfg, nil
}

func (r *Rules) translate(vc config.ViperConfig) (config.Config, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return vc.Translate()
}

func parseViper(toml []byte) (config.ViperConfig, error) {
	v := viper.New()
	v.SetConfigType("toml")
	var vc config.ViperConfig
	if err := v.ReadConfig(bytes.NewReader(toml)); err != nil {
		return vc, err
	}
	if err := v.Unmarshal(&vc); err != nil {
		return vc, err
	}
	return vc, nil
}

// mergeDefault does what gitleaks' [extend] useDefault does: the default
// rules join the repository's, less the disabled ones; a rule defined in
// both takes the repository's non-empty fields and adds its tags,
// keywords and allowlists; global allowlists are appended.
//
//nolint:staticcheck // SA1019: a repository's old [allowlist] is still honoured.
func mergeDefault(repo, base config.ViperConfig) config.ViperConfig {
	disabled := map[string]bool{}
	for _, id := range repo.Extend.DisabledRules {
		disabled[id] = true
	}
	own := map[string]int{}
	for i, rule := range repo.Rules {
		own[rule.ID] = i
	}
	merged := repo
	merged.Extend = config.Extend{}
	merged.Rules = nil
	for _, b := range base.Rules {
		if disabled[b.ID] {
			continue
		}
		i, overridden := own[b.ID]
		if !overridden {
			merged.Rules = append(merged.Rules, b)
			continue
		}
		cur := repo.Rules[i]
		if cur.Description != "" {
			b.Description = cur.Description
		}
		if cur.Entropy != 0 {
			b.Entropy = cur.Entropy
		}
		if cur.SecretGroup != 0 {
			b.SecretGroup = cur.SecretGroup
		}
		if strings.TrimSpace(cur.Regex) != "" {
			b.Regex = cur.Regex
		}
		if cur.Path != "" {
			b.Path = cur.Path
		}
		b.Tags = append(append([]string{}, b.Tags...), cur.Tags...)
		b.Keywords = append(append([]string{}, b.Keywords...), cur.Keywords...)
		// Full slice expressions: never write into the shared default's arrays.
		b.Allowlists = append(b.Allowlists[:len(b.Allowlists):len(b.Allowlists)], cur.Allowlists...)
		if cur.AllowList != nil {
			b.Allowlists = append(b.Allowlists, cur.AllowList)
		}
		merged.Rules = append(merged.Rules, b)
		delete(own, b.ID)
	}
	for _, rule := range repo.Rules {
		if _, left := own[rule.ID]; left {
			merged.Rules = append(merged.Rules, rule)
		}
	}
	// The deprecated single [allowlist] cannot stand beside [[allowlists]],
	// so both sides' are moved into the list.
	global := repo.Allowlists[:len(repo.Allowlists):len(repo.Allowlists)]
	if repo.AllowList != nil {
		global = append(global, repo.AllowList)
	}
	global = append(global, base.Allowlists...)
	if base.AllowList != nil {
		global = append(global, base.AllowList)
	}
	merged.Allowlists, merged.AllowList = global, nil
	return merged
}
