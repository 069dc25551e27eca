package secoda

import (
	"net/url"
	"strings"
	"testing"
)

func TestNormalizeBaseURL(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{"", DefaultBaseURL, ""},
		{"us", "https://api.secoda.co/api/v1", ""},
		{"EU", "https://eapi.secoda.co/api/v1", ""},
		{"apac", "https://aapi.secoda.co/api/v1", ""},
		{"eu.secoda.co", "https://eapi.secoda.co/api/v1", ""},
		{"https://apac.secoda.co", "https://aapi.secoda.co/api/v1", ""},
		{"eapi.secoda.co", "https://eapi.secoda.co/api/v1", ""},
		{"https://api.secoda.co/api/v1/", "https://api.secoda.co/api/v1", ""},
		{"https://Secoda.Example.com", "https://secoda.example.com/api/v1", ""},
		{"secoda.example.com/api/v1", "https://secoda.example.com/api/v1", ""},
		{"https://secoda.example.com:8443/api/v1", "https://secoda.example.com:8443/api/v1", ""},
		{"http://127.0.0.1:8787/api/v1", "http://127.0.0.1:8787/api/v1", ""},
		{"http://localhost:8787", "http://localhost:8787/api/v1", ""},
		{"http://[::1]:8787/api/v1", "http://[::1]:8787/api/v1", ""},
		{"http://secoda.example.com/api/v1", "", "plain http"},
		{"ftp://secoda.example.com", "", "scheme"},
		{"https://user:pw@secoda.example.com", "", "user name or password"},
		{"https://api.secoda.co/api/v1?page=2", "", "query"},
		{"https://", "", "not a URL"},
	}
	for _, tt := range tests {
		got, err := NormalizeBaseURL(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("NormalizeBaseURL(%q) error = %v, want one saying %q", tt.in, err, tt.wantErr)
			}
			if strings.Contains(tt.in, "pw@") && err != nil && strings.Contains(err.Error(), "pw") {
				t.Errorf("NormalizeBaseURL error repeats the password: %v", err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeBaseURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestResolveBaseURLPrefersTheEnvironment(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }

	u, src, err := ResolveBaseURL("", getenv)
	if err != nil || u != DefaultBaseURL || src != "default" {
		t.Fatalf("nothing set: %q from %q (%v)", u, src, err)
	}
	u, src, err = ResolveBaseURL("eu", getenv)
	if err != nil || u != "https://eapi.secoda.co/api/v1" || src != "config" {
		t.Fatalf("config eu: %q from %q (%v)", u, src, err)
	}
	env[EnvAPIURL] = "http://127.0.0.1:9999/api/v1"
	u, src, err = ResolveBaseURL("eu", getenv)
	if err != nil || u != "http://127.0.0.1:9999/api/v1" || !strings.Contains(src, EnvAPIURL) {
		t.Fatalf("env over config: %q from %q (%v)", u, src, err)
	}
	env[EnvAPIURL] = "http://remote.example.com/api/v1"
	if _, _, err = ResolveBaseURL("", getenv); err == nil || !strings.Contains(err.Error(), EnvAPIURL) {
		t.Fatalf("a bad %s must be reported by name, got %v", EnvAPIURL, err)
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://api.secoda.co/api/v1", "https://api.secoda.co/api/v1/table/tables/?page=2", true},
		{"https://api.secoda.co/api/v1", "https://API.secoda.co:443/x", true},
		{"https://api.secoda.co/api/v1", "http://api.secoda.co/x", false},
		{"https://api.secoda.co/api/v1", "https://eapi.secoda.co/x", false},
		{"https://api.secoda.co/api/v1", "https://api.secoda.co:8443/x", false},
		{"https://api.secoda.co/api/v1", "https://api.secoda.co.evil.com/x", false},
		{"http://127.0.0.1:8787/api/v1", "http://127.0.0.1:8788/api/v1", false},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.a)
		b, _ := url.Parse(tt.b)
		if got := sameOrigin(a, b); got != tt.want {
			t.Errorf("sameOrigin(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
