package postgres_test

import (
	"strings"
	"testing"

	"github.com/secoda-workbench/secoda-workbench/pipeline/postgres"
)

// secret stands for a password in the URLs below: no message may repeat it.
const secret = "hunter2"

// TestCheckURLRefusesEverySecret: every way a connection string carries a secret, as
// pgx reads it (the user part, secret parameters in any case or percent-encoding,
// repeated, parameters that read a file of passwords, server settings named like a
// secret, the keyword/value form), is refused naming the parameter and saying where
// the password goes, and the message never holds the value.
func TestCheckURLRefusesEverySecret(t *testing.T) {
	for url, names := range map[string][]string{
		"postgres://loader:" + secret + "@db.example.com/analytics":                    {"USER:PASSWORD@"},
		"postgres://loader:@db.example.com/analytics":                                  {"USER:PASSWORD@"},
		"postgres://loader:hun:" + secret + "@db.example.com/analytics":                {"USER:PASSWORD@"},
		"POSTGRES://loader:" + secret + "@db.example.com/analytics":                    {"USER:PASSWORD@"},
		"postgres://db.example.com?loader:" + secret + "@other.example.com/analytics":  {"USER:PASSWORD@"}, // pgx's user part ends at the @
		"postgres://loader@db/analytics?password=" + secret:                            {`"password" holds a password`},
		"postgres://loader@db/analytics?password=":                                     {`"password"`},
		"postgres://loader@db/analytics?PASSWORD=" + secret:                            {`"PASSWORD" ("password")`},
		"postgres://loader@db/analytics?Password=" + secret:                            {`"Password"`},
		"postgres://loader@db/analytics?pass%77ord=" + secret:                          {`"pass%77ord" ("password")`},
		"postgres://loader@db/analytics?%20password%20=" + secret:                      {`"password"`},
		"postgres://loader@db/analytics?sslmode=require&password=a&password=" + secret: {`"password"`},
		"postgres://loader@db/analytics?sslpassword=" + secret:                         {`"sslpassword" holds the client key's password`},
		"postgres://loader@db/analytics?passfile=/home/loader/" + secret:               {`"passfile" sends the driver to a file of passwords`},
		"postgres://loader@db/analytics?service=" + secret:                             {`"service" reads the connection`},
		"postgres://loader@db/analytics?servicefile=/etc/" + secret:                    {`"servicefile"`},
		"postgres://loader@db/analytics?oauth_client_secret=" + secret:                 {`"oauth_client_secret"`},
		"postgres://loader@db/analytics?app.jwt_secret=" + secret:                      {`"app.jwt_secret" is named like a secret`},
		"postgres://loader@db/analytics?api_key=" + secret:                             {`"api_key"`},
		"postgres://loader@db/analytics?x=1#&password=" + secret:                       {`"password"`}, // pgx takes no fragment
		"postgres://loader@db/ana[lytics?password=" + secret:                           {`"password"`},
		"postgres://loader@[::1]/analytics?password=" + secret:                         {`"password"`},
		"postgres://loader@db/analytics?options=-c%20app.secret%3D" + secret:           {`options sets "app.secret"`},
		"postgres://loader@db/analytics?options=-capp.token%3D" + secret:               {`options sets "app.token"`},
		"postgres://loader@db/analytics?options=--app-api-key%3D" + secret:             {`options sets "app_api_key"`},
		"postgres://loader:" + secret + "@db/analytics?sslpassword=" + secret:          {"USER:PASSWORD@", `"sslpassword"`, "remove them"},
		"host=db user=loader password=" + secret:                                       {`"password" holds a password`},
		"host=db password='hun ter " + secret + "'":                                    {`"password"`},
		"host=db sslpassword=" + secret + " dbname=analytics":                          {`"sslpassword"`},
	} {
		err := postgres.CheckURL(url)
		if err == nil {
			t.Errorf("%s: accepted", url)
			continue
		}
		msg := err.Error()
		for _, want := range append(names, "secoda-workbench secrets set --destination", "SECODA_DESTINATION_PASSWORD") {
			if !strings.Contains(msg, want) {
				t.Errorf("%s: %q lacks %q", url, msg, want)
			}
		}
		if strings.Contains(msg, secret) {
			t.Errorf("%s: the message repeats the secret: %s", url, msg)
		}
	}
}

// TestCheckURL: plain URLs pass, whatever their other parameters; the rest is refused
// saying what to write.
func TestCheckURL(t *testing.T) {
	for url, want := range map[string]string{
		"postgres://loader@db.example.com:5432/analytics":                                "",
		"postgresql://loader@127.0.0.1/analytics?sslmode=require":                        "",
		"postgres://loader@db.example.com/analytics?ssl=true&connect_timeout=5":          "",
		"postgres://loader@db.example.com/analytics?require_auth=scram-sha-256":          "",
		"postgres://loader@db.example.com/analytics?application_name=x&search_path=a":    "",
		"postgres://loader@db.example.com/analytics?options=-c%20statement_timeout%3D5s": "",
		"postgres://loader@h1.example.com:5432,h2.example.com:5433/analytics":            "",
		"postgres://loader@[::1]:5432/analytics":                                         "",
		"mysql://loader@db/analytics":                                                    "give a URL such as",
		"host=db user=loader dbname=analytics":                                           "give a URL such as",
		"POSTGRES://loader@db/analytics":                                                 "lowercase",
		"postgres://loader@db/analytics?SSLMODE=require":                                 `"SSLMODE": write it in lowercase, sslmode`,
		"postgres://loader@/analytics":                                                   "names no host",
		"postgres://loader@db.example.com":                                               "names no database",
		"postgres://loader@db.example.com:99999999/analytics":                            "does not parse",
		"postgres://loader@db.example.com/analytics?sslmode":                             "does not parse",
		"postgres://loader@db.example.com/analytics#x":                                   "reads differently",
		"postgres://loader@db.example.com/analytics?host=other.example.com":              "write the host, port, user and database in the URL itself",
		"postgres://loader@db.example.com:5432/analytics?port=6432":                      `parameter "port"`,
		"postgres://loader@db.example.com/analytics?dbname=other":                        `parameter "dbname"`,
		"postgres://loader@db.example.com/analytics?User=other":                          `parameter "User"`,
		"postgres://loader@db.example.com/analytics?sslkey=/nonexistent/key":             "does not parse",
	} {
		err := postgres.CheckURL(url)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: %v (want %q)", url, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "must never hold") {
			t.Errorf("%s holds no secret, but: %v", url, err)
		}
	}
	if got := postgres.New("postgres://loader@db:5432/analytics?sslmode=require", "pw", "x").Location(); got != "postgres://loader@db:5432/analytics" {
		t.Errorf("Location %s", got)
	}
}

// FuzzCheckURL: whatever the URL, a message never repeats what follows a password's
// place, and CheckURL never panics.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"postgres://u@h/db", "postgres://u:p@h/db", "postgres://u@h/db?password=p", "host=h password=p",
		"postgres://u@h/db?options=-c%20a%3Db", "postgres://[::1?x]/d?%70assword=p"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := postgres.CheckURL(s + "?password=" + secret)
		if err == nil {
			t.Fatalf("%q with a password parameter passed", s)
		}
		if strings.Contains(err.Error(), secret) && !strings.Contains(s, secret) {
			t.Fatalf("%q: the message repeats the password: %v", s, err)
		}
	})
}
