// Package deploy holds the tests of SecBot's deployment files, which CI can
// check without a container engine or a cluster: the compose file through
// the Compose specification's own loader, the Kubernetes manifests through
// kubectl kustomize.
package deploy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

func TestComposeFile(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"}, cli.WithName("secbot"), cli.WithWorkingDirectory(".."))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker-compose.yml does not load: %v", err)
	}
	for _, name := range []string{"db", "redis", "migrate", "receiver", "reporter", "worker"} {
		if _, err := p.GetService(name); err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
	}
	redis, _ := p.GetService("redis")
	if !slices.Contains(redis.Command, "--appendonly") || redis.HealthCheck == nil {
		t.Fatalf("redis keeps no AOF or has no healthcheck: %v", redis.Command)
	}
	migrate, _ := p.GetService("migrate")
	if migrate.Command[0] != "migrate" || migrate.DependsOn["db"].Condition != "service_healthy" {
		t.Fatalf("migrate: %v %v", migrate.Command, migrate.DependsOn)
	}
	for _, name := range []string{"receiver", "reporter", "worker"} {
		s, _ := p.GetService(name)
		if s.HealthCheck == nil || len(s.HealthCheck.Test) < 3 || s.HealthCheck.Test[1] != "probe" {
			t.Fatalf("%s has no probe healthcheck: %+v", name, s.HealthCheck)
		}
		if s.DependsOn["migrate"].Condition != "service_completed_successfully" || s.Build == nil {
			t.Fatalf("%s does not wait for migrate or is not built: %+v", name, s.DependsOn)
		}
		if s.Environment["DEFECTDOJO__URL"] == nil || *s.Environment["DEFECTDOJO__URL"] != "http://reporter:5001" {
			t.Fatalf("%s does not get .env.dev's settings: %v", name, s.Environment)
		}
	}
	worker, _ := p.GetService("worker")
	if !slices.ContainsFunc(worker.Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Source == "mirrors" && v.Target == "/var/lib/secbot/cache"
	}) {
		t.Fatalf("the worker's mirrors are not on a volume: %+v", worker.Volumes)
	}
	for _, v := range []string{"postgres", "redis", "mirrors"} {
		if _, ok := p.Volumes[v]; !ok {
			t.Fatalf("volume %s is missing", v)
		}
	}
}

// object is a rendered Kubernetes object, read loosely.
type object struct {
	Kind     string
	Metadata struct{ Name, Namespace string }
	Spec     map[string]any
	Data     map[string]string
}

func render(t *testing.T, dir string) []object {
	t.Helper()
	// Read the manifests here too: go test caches a result by the files
	// the test opened, and kubectl's reads are not the test's.
	if err := filepath.WalkDir("kubernetes", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			_, err = os.ReadFile(path)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Fatalf("rendering the manifests needs kubectl (it bundles kustomize): %v", err)
	}
	out, err := exec.Command(kubectl, "kustomize", dir).Output()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, exitErr.Stderr)
	}
	if err != nil {
		t.Fatal(err)
	}
	var objs []object
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var o object
		if err := dec.Decode(&o); errors.Is(err, io.EOF) {
			return objs
		} else if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o)
	}
}

func TestKubernetesManifests(t *testing.T) {
	objs := render(t, "kubernetes/overlays/example")
	kinds := map[string]int{}
	for _, o := range objs {
		kinds[o.Kind]++
		if o.Kind != "Namespace" && o.Metadata.Namespace != "secbot" {
			t.Fatalf("%s %s is not in the overlay's namespace", o.Kind, o.Metadata.Name)
		}
	}
	for kind, n := range map[string]int{"Deployment": 3, "Service": 2, "Job": 1, "ConfigMap": 2, "Ingress": 1, "HorizontalPodAutoscaler": 1, "ExternalSecret": 1} {
		if kinds[kind] != n {
			t.Fatalf("%d %s objects, want %d (all: %v)", kinds[kind], kind, n, kinds)
		}
	}
	root, err := os.ReadFile("../config.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		switch o.Kind {
		case "ConfigMap":
			if cfg, ok := o.Data["config.yml"]; ok && cfg != string(root) {
				t.Fatal("deploy/kubernetes/base/config.yml differs from config.yml: copy it again")
			}
		case "Deployment", "Job":
			checkPod(t, o)
		}
	}
}

// checkPod checks a workload's pod: the overlay's image, probes (for
// Deployments), requests and limits, the credentials Secret, non-root.
func checkPod(t *testing.T, o object) {
	t.Helper()
	raw, _ := yaml.Marshal(o.Spec["template"])
	var tmpl struct {
		Spec struct {
			SecurityContext struct {
				RunAsNonRoot bool `yaml:"runAsNonRoot"`
			} `yaml:"securityContext"`
			Containers []struct {
				Image          string
				ReadinessProbe map[string]any `yaml:"readinessProbe"`
				LivenessProbe  map[string]any `yaml:"livenessProbe"`
				Resources      struct{ Requests, Limits map[string]string }
				EnvFrom        []struct {
					SecretRef *struct{ Name string } `yaml:"secretRef"`
				} `yaml:"envFrom"`
			}
		}
	}
	if err := yaml.Unmarshal(raw, &tmpl); err != nil || len(tmpl.Spec.Containers) != 1 {
		t.Fatalf("%s %s: %v", o.Kind, o.Metadata.Name, err)
	}
	c := tmpl.Spec.Containers[0]
	name := o.Kind + " " + o.Metadata.Name
	switch {
	case !strings.HasPrefix(c.Image, "registry.example.com/security/secbot:"):
		t.Fatalf("%s runs image %q, not the overlay's", name, c.Image)
	case o.Kind == "Deployment" && (c.ReadinessProbe == nil || c.LivenessProbe == nil):
		t.Fatalf("%s has no readiness or liveness probe", name)
	case c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "":
		t.Fatalf("%s has no memory request or limit", name)
	case !tmpl.Spec.SecurityContext.RunAsNonRoot:
		t.Fatalf("%s may run as root", name)
	case !slices.ContainsFunc(c.EnvFrom, func(e struct {
		SecretRef *struct{ Name string } `yaml:"secretRef"`
	}) bool {
		return e.SecretRef != nil && e.SecretRef.Name == "secbot-secrets"
	}):
		t.Fatalf("%s does not read the secbot-secrets Secret", name)
	}
}
