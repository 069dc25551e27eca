package pipeline

import (
	"strings"
	"testing"
)

// secretURLs carry a password in every way a connection string can (postgres.CheckURL
// has the full list); each names what the refusal must name.
var secretURLs = map[string]string{
	"postgres://loader:s3cr3t-pw@db.example.com:5432/analytics":                      "USER:PASSWORD@",
	"postgres://loader@db.example.com/analytics?password=s3cr3t-pw":                  `"password"`,
	"postgres://loader@db.example.com/analytics?PassWord=s3cr3t-pw":                  `"PassWord"`,
	"postgres://loader@db.example.com/analytics?pass%77ord=s3cr3t-pw":                `"pass%77ord"`,
	"postgres://loader@db.example.com/analytics?sslmode=require&password=s3cr3t-pw":  `"password"`,
	"postgres://loader@db.example.com/analytics?sslpassword=s3cr3t-pw":               `"sslpassword"`,
	"postgres://loader@db.example.com/analytics?passfile=/tmp/s3cr3t-pw":             `"passfile"`,
	"postgres://loader@db.example.com/analytics?service=s3cr3t-pw":                   `"service"`,
	"postgres://loader@db.example.com/analytics?options=-c%20app.secret%3Ds3cr3t-pw": `"app.secret"`,
	"host=db.example.com user=loader password=s3cr3t-pw":                             `"password"`,
}

// TestTheConfigRefusesASecretInTheURL: validate (the decoder every command reads the
// config with) refuses each form at the url's line, says where the password goes, and
// never repeats it.
func TestTheConfigRefusesASecretInTheURL(t *testing.T) {
	for url, name := range secretURLs {
		src := "[destination]\ntype = \"postgres\"\nurl = " + tomlString(url) + "\n[resources.tag]\n"
		_, err := ParseConfig(ConfigFileName, []byte(src))
		errs := allConfigErrors(err)
		if len(errs) != 1 || errs[0].Key != "destination.url" || errs[0].Line != 3 {
			t.Errorf("%s: want one error at destination.url, line 3: %v", url, err)
			continue
		}
		for _, want := range []string{name, "secrets set --destination", EnvDestinationPassword} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v lacks %q", url, err, want)
			}
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("%s: the error repeats the password: %v", url, err)
		}
	}
}

// TestScaffoldRefusesASecretInTheURL: scaffold (and so scaffold_config) writes nothing
// for a URL holding a password, in any of its forms.
func TestScaffoldRefusesASecretInTheURL(t *testing.T) {
	for url, name := range secretURLs {
		text, err := Scaffold(ScaffoldOptions{Destination: "postgres", DestinationURL: url})
		if err == nil || text != "" {
			t.Errorf("%s: scaffolded", url)
			continue
		}
		if !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "secrets set --destination") ||
			strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("%s: %v", url, err)
		}
	}
}

// TestScaffoldKeepsToTheLimits: what scaffold is given is held to the same Limits as
// the file, and a value too long is not repeated.
func TestScaffoldKeepsToTheLimits(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tooFast := 1e9
	for _, tc := range []struct {
		opts ScaffoldOptions
		want string
	}{
		{ScaffoldOptions{DatasetName: strings.Repeat("d", 121)}, "dataset name is 121 bytes long"},
		{ScaffoldOptions{DatasetName: strings.Repeat("d", 64), Destination: "postgres"}, "PostgreSQL names are at most 63 bytes"},
		{ScaffoldOptions{PipelineName: long}, "pipeline name is 5,000 bytes long"},
		{ScaffoldOptions{Destination: long}, "destination is 5,000 bytes long"},
		{ScaffoldOptions{Destination: "postgres", DestinationURL: "postgres://u@h/" + long}, "destination URL is 5,015 bytes long"},
		{ScaffoldOptions{BaseURL: "https://" + long}, "base URL is 5,008 bytes long"},
		{ScaffoldOptions{Resources: strings.Split(strings.Repeat("tag,", 300), ",")}, "at most 256 tables"},
		{ScaffoldOptions{Resources: []string{long}}, "unknown resource"},
		{ScaffoldOptions{RateLimit: &tooFast}, "rate limit must be 0 (no pacing) or 1 to 60,000"},
	} {
		text, err := Scaffold(tc.opts)
		if err == nil || text != "" || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), long[:200]) {
			t.Errorf("%.80v: %.300v (want %q)", tc.opts, err, tc.want)
		}
	}
}
