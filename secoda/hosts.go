package secoda

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/secoda-workbench/secoda-workbench/internal/loopback"
)

// DefaultBaseURL is the API of app.secoda.co, Secoda's US cloud.
const DefaultBaseURL = "https://api.secoda.co/api/v1"

// EnvAPIKey names the environment variable holding the API key; when set it wins over
// the keyring.
const EnvAPIKey = "SECODA_API_KEY"

// EnvAPIURL names the environment variable whose base URL wins over any configuration.
const EnvAPIURL = "SECODA_API_URL"

// Region is one of Secoda's clouds: the host people see in their browser and the API
// host their key works against.
type Region struct {
	Name    string // us, eu, apac
	AppHost string // the web app, as in the browser's address bar
	BaseURL string // the API, including /api/v1
}

// Regions lists Secoda's clouds. A workspace on its own domain uses
// https://<domain>/api/v1 instead.
var Regions = []Region{
	{Name: "us", AppHost: "app.secoda.co", BaseURL: DefaultBaseURL},
	{Name: "eu", AppHost: "eu.secoda.co", BaseURL: "https://eapi.secoda.co/api/v1"},
	{Name: "apac", AppHost: "apac.secoda.co", BaseURL: "https://aapi.secoda.co/api/v1"},
}

// NormalizeBaseURL turns what a person writes into an API base URL. It accepts a
// region name ("us", "eu", "apac"), the web app's host ("eu.secoda.co") or the API
// host ("eapi.secoda.co"), a workspace's own domain ("secoda.example.com"), or a full
// URL. A URL without a path gets /api/v1; a trailing slash is dropped. Plain http is
// refused except on loopback (the simulator), because the key would cross the network
// in clear text. The empty string gives DefaultBaseURL.
func NormalizeBaseURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultBaseURL, nil
	}
	for _, r := range Regions {
		if strings.EqualFold(s, r.Name) || strings.EqualFold(s, r.AppHost) || strings.EqualFold(s, "https://"+r.AppHost) {
			return r.BaseURL, nil
		}
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("base URL %q is not a URL: write it as https://api.secoda.co/api/v1, a region (us, eu, apac) or your workspace's domain", s)
	}
	if u.User != nil {
		return "", fmt.Errorf("base URL must not carry a user name or password: the key goes in the keyring (`secoda-workbench secrets set`), not in the URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("base URL %s must not have a query or fragment (not shown: it could hold a secret): give the scheme, host and /api/v1 only", u.Scheme+"://"+u.Host+u.Path)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !loopback.Host(u.Hostname()) {
			return "", fmt.Errorf("base URL %s uses plain http: the API key would cross the network unencrypted; use https://%s%s", u.Redacted(), u.Host, u.Path)
		}
	default:
		return "", fmt.Errorf("base URL %s has scheme %q: use https", u.Redacted(), u.Scheme)
	}
	u.Host = strings.ToLower(u.Host)
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path == "" {
		u.Path = "/api/v1"
	}
	u.RawPath = ""
	return u.String(), nil
}

// ResolveBaseURL picks the base URL: the SECODA_API_URL environment variable when set,
// else the configured value, else DefaultBaseURL. It says which one it used, so that
// `status` can tell a person why a request went where it went.
func ResolveBaseURL(configured string, getenv func(string) string) (baseURL, source string, err error) {
	if v := getenv(EnvAPIURL); strings.TrimSpace(v) != "" {
		u, err := NormalizeBaseURL(v)
		if err != nil {
			return "", "", fmt.Errorf("%s: %w", EnvAPIURL, err)
		}
		return u, "environment (" + EnvAPIURL + ")", nil
	}
	if strings.TrimSpace(configured) != "" {
		u, err := NormalizeBaseURL(configured)
		return u, "config", err
	}
	return DefaultBaseURL, "default", nil
}

// sameOrigin reports whether two URLs share scheme and host (with port), the boundary
// the key never crosses.
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostWithPort(a), hostWithPort(b))
}

func hostWithPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
