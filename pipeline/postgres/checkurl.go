package postgres

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The config is committed and shared, so [destination] url must hold no secret, in any
// of the ways a connection string can carry one: a password in the user part, a
// parameter that holds one (password, sslpassword, and any named like a secret), a
// parameter that sends the driver to a file of them (passfile, service, servicefile),
// or a server setting named like one in options. CheckURL finds the parameters the
// way pgx reads them (percent-decoded, repeated, in any case), then lets pgx parse the
// URL allowing only the parameters it found: a URL that pgx would read differently is
// refused rather than guessed at.

// urlAdvice is what to do with a destination password instead.
const urlAdvice = "keep the password in the OS keyring (`secoda-workbench secrets set --destination`) or in " +
	"SECODA_DESTINATION_PASSWORD; the config is committed and must never hold one"

// secretParams are libpq's and pgx's parameters that hold a secret or read one from a
// file, and why each is refused. The files are outside the project and the keyring:
// a servicefile can also replace the host and sslmode the URL names.
var secretParams = map[string]string{
	"password":            "holds a password",
	"sslpassword":         "holds the client key's password",
	"oauth_client_secret": "holds a secret",
	"passfile":            "sends the driver to a file of passwords",
	"service":             "reads the connection, its password included, from a service file (write the host, port, database and user in the URL instead)",
	"servicefile":         "reads the connection, its password included, from a service file (write the host, port, database and user in the URL instead)",
}

// knownParams are libpq's and pgx's other parameters: none holds a secret (sslkey,
// sslcert and sslrootcert are paths to files that authenticate without a password).
var knownParams = []string{
	"host", "hostaddr", "port", "dbname", "database", "user", "connect_timeout", "client_encoding", "options",
	"application_name", "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
	"keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "ssl", "sslmode", "sslnegotiation",
	"sslcompression", "sslcert", "sslkey", "sslcertmode", "sslrootcert", "sslcrl", "sslcrldir", "sslsni",
	"requirepeer", "ssl_min_protocol_version", "ssl_max_protocol_version", "min_protocol_version",
	"max_protocol_version", "krbsrvname", "krbspn", "gsslib", "gssdelegation", "target_session_attrs",
	"load_balance_hosts", "channel_binding", "require_auth", "oauth_issuer", "oauth_client_id", "oauth_scope",
	"timezone", "search_path", "statement_cache_capacity", "description_cache_capacity", "default_query_exec_mode",
}

// placeParams name where to connect: in a URL, its host, port, user and path say
// that, and the keyring keeps the password under them.
var placeParams = []string{"host", "hostaddr", "port", "dbname", "database", "user"}

// secretWords are the words of a parameter's name that say it holds a secret: any
// other parameter becomes a server setting, and a setting such as app.jwt_secret is
// one.
var secretWords = []string{"key", "keys", "pass", "pw", "pwd", "auth", "authorization", "bearer", "token", "tokens", "secret", "secrets"}

var secretParts = []string{"passw", "passphrase", "secret", "token", "credential", "apikey", "privatekey"}

// namedLikeSecret reports whether a parameter or setting name (lowercase) says it
// holds a secret.
func namedLikeSecret(name string) bool {
	if _, ok := secretParams[name]; ok {
		return true
	}
	if slices.Contains(knownParams, name) {
		return false
	}
	words := strings.FieldsFunc(name, func(r rune) bool { return !('a' <= r && r <= 'z' || '0' <= r && r <= '9') })
	for _, w := range words {
		if slices.Contains(secretWords, w) {
			return true
		}
	}
	joined := strings.Join(words, "")
	for _, p := range secretParts {
		if strings.Contains(joined, p) {
			return true
		}
	}
	return false
}

// maxNameEcho bounds a parameter name repeated in a message.
const maxNameEcho = 40

// quoteName quotes a parameter's name for a message, cut to maxNameEcho bytes: the
// name, never its value.
func quoteName(s string) string {
	if len(s) > maxNameEcho {
		cut := maxNameEcho
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// connParam is one parameter of a connection string as pgx reads it.
type connParam struct {
	written string // the name as written (percent-encoded in a URL)
	name    string // decoded, as pgx reads it
	value   string // decoded; read only to look into options
}

// CheckURL says what is wrong with a connection URL from the config, or nil: it must
// be a postgres:// or postgresql:// URL naming a host and a database, and hold no
// secret. Its messages name the parameter at fault, never a value.
func CheckURL(s string) error {
	lower := strings.ToLower(s)
	isURL := strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
	var params []connParam
	var problems []string
	if isURL {
		var userPassword bool
		var err error
		userPassword, params, err = scanURL(s)
		if err != nil {
			return fmt.Errorf("the URL does not parse: %v", err)
		}
		if userPassword {
			problems = append(problems, "the URL holds a password (USER:PASSWORD@)")
		}
	} else {
		var err error
		if params, err = scanKeywordValue(s); err != nil {
			params = nil // not keyword/value either: only the form is wrong
		}
	}
	problems = append(problems, secretProblems(params)...)
	if len(problems) > 0 {
		it := "it"
		if len(problems) > 1 {
			it = "them"
		}
		return fmt.Errorf("%s: remove %s, and %s", strings.Join(problems, "; "), it, urlAdvice)
	}
	if !isURL {
		return fmt.Errorf("give a URL such as postgres://loader@db.example.com:5432/analytics")
	}
	if !strings.HasPrefix(s, "postgres://") && !strings.HasPrefix(s, "postgresql://") {
		return fmt.Errorf("write the scheme in lowercase: postgres://USER@HOST:PORT/DATABASE")
	}
	for _, p := range params {
		if slices.Contains(placeParams, strings.ToLower(p.name)) {
			return fmt.Errorf("parameter %s: write the host, port, user and database in the URL itself, postgres://USER@HOST:PORT/DATABASE: "+
				"the password is kept (and sent) for the place the URL names", quoteName(p.written))
		}
		if p.name != strings.ToLower(p.name) && slices.Contains(knownParams, strings.ToLower(p.name)) {
			return fmt.Errorf("parameter %s: write it in lowercase, %s (PostgreSQL's driver reads names as written)",
				quoteName(p.written), strings.ToLower(p.name))
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("give a URL such as postgres://loader@db.example.com:5432/analytics")
	}
	if u.Hostname() == "" {
		return fmt.Errorf("the URL names no host: give postgres://USER@HOST:PORT/DATABASE")
	}
	if strings.Trim(u.Path, "/") == "" {
		return fmt.Errorf("the URL names no database: give postgres://USER@HOST:PORT/DATABASE")
	}
	// pgx reads only the parameters found above, and refuses any other before it reads
	// a file: such a URL reads differently to pgx than to this check.
	allowed := []string{"host", "port", "database", "user"}
	for _, p := range params {
		allowed = append(allowed, p.name)
	}
	var opts pgx.ParseConfigOptions
	opts.ConnStringAllowedKeys = allowed
	cfg, err := pgx.ParseConfigWithOptions(s, opts)
	if err != nil {
		// pgx gives the refusal no type of its own: its message is all there is.
		if strings.Contains(err.Error(), "ConnStringAllowedKeys") {
			return errors.New(misreadURL)
		}
		return fmt.Errorf("the URL does not parse: %s", parseReason(s, err))
	}
	// Where the keyring keeps the password (Location, by net/url) must be where pgx
	// connects: the first host, the database and the user.
	first := &url.URL{Host: strings.Split(u.Host, ",")[0]}
	if cfg.Host != first.Hostname() || first.Port() != "" && strconv.Itoa(int(cfg.Port)) != first.Port() ||
		cfg.Database != strings.TrimPrefix(u.Path, "/") || u.User.Username() != "" && cfg.User != u.User.Username() {
		return errors.New(misreadURL)
	}
	return nil
}

const misreadURL = "the URL reads differently to PostgreSQL's driver than to secoda-workbench: write it plainly, " +
	"postgres://USER@HOST:PORT/DATABASE?PARAMETER=VALUE, percent-encoding @, / and ? in names"

// parseReason is pgx's reason for refusing s, without the connection string it quotes
// (which holds no secret by now, but is the user's to see, not to read twice).
func parseReason(s string, err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "cannot parse `"+s+"`: "); ok {
		return rest
	}
	return "check it against postgres://USER@HOST:PORT/DATABASE"
}

// secretProblems says which parameters hold a secret, once each, in the order
// written.
func secretProblems(params []connParam) []string {
	var out []string
	seen := map[string]bool{}
	add := func(key, msg string) {
		if !seen[key] {
			seen[key] = true
			out = append(out, msg)
		}
	}
	for _, p := range params {
		name := strings.TrimSpace(strings.ToLower(p.name))
		what := "parameter " + quoteName(p.written)
		if p.written != name {
			what += " (" + quoteName(name) + ")"
		}
		switch why, ok := secretParams[name]; {
		case ok:
			add(name, what+" "+why)
		case namedLikeSecret(name):
			add(name, what+" is named like a secret")
		case name == "options":
			for _, setting := range optionSettings(p.value) {
				if namedLikeSecret(setting) {
					add("options "+setting, "options sets "+quoteName(setting)+", named like a secret")
				}
			}
		}
	}
	return out
}

// optionSettings are the server settings an options value sets (-c name=value,
// -cname=value, --name=value), their names lowercased with - read as _, as the server
// reads them.
func optionSettings(options string) []string {
	var names []string
	args := optionArgs(options)
	for i := 0; i < len(args); i++ {
		var setting string
		switch a := args[i]; {
		case a == "-c" && i+1 < len(args):
			i++
			setting = args[i]
		case strings.HasPrefix(a, "--"):
			setting = a[2:]
		case strings.HasPrefix(a, "-c"):
			setting = a[2:]
		default:
			continue
		}
		name, _, _ := strings.Cut(setting, "=")
		names = append(names, strings.ReplaceAll(strings.ToLower(name), "-", "_"))
	}
	return names
}

// optionArgs splits options as the server does: at spaces, a backslash escaping the
// next character.
func optionArgs(s string) []string {
	var args []string
	var b strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			in = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if in {
				args = append(args, b.String())
				b.Reset()
				in = false
			}
		default:
			b.WriteByte(c)
			in = true
		}
	}
	if in {
		args = append(args, b.String())
	}
	return args
}

// scanURL reads a postgres:// URL as pgx's parser does (pgconn's parse_url.go, after
// libpq): the user part ends at the first @ before any /, the query at the first ?
// outside an IPv6 host's brackets, and query names and values are percent-decoded.
func scanURL(s string) (userPassword bool, params []connParam, err error) {
	p := s[strings.Index(s, "://")+3:]
	if i := strings.IndexAny(p, "@/"); i >= 0 && p[i] == '@' {
		userPassword = strings.Contains(p[:i], ":")
		p = p[i+1:]
	}
	query := -1
	inHosts, depth := true, 0 // brackets count only in the hosts, before the path's /
	for i := 0; i < len(p) && query < 0; i++ {
		switch c := p[i]; {
		case inHosts && c == '[':
			depth++
		case inHosts && c == ']':
			depth = max(0, depth-1)
		case depth > 0:
		case c == '/':
			inHosts = false
		case c == '?':
			query = i
		}
	}
	if query < 0 {
		return userPassword, nil, nil
	}
	for _, pair := range strings.Split(p[query+1:], "&") {
		rawKey, rawValue, found := strings.Cut(pair, "=")
		if !found {
			if pair == "" {
				continue
			}
			return userPassword, nil, fmt.Errorf("the query part has a parameter without =VALUE")
		}
		name, err := percentDecode(rawKey)
		if err != nil {
			return userPassword, nil, fmt.Errorf("parameter %s: %v", quoteName(rawKey), err)
		}
		value, _ := percentDecode(rawValue)
		params = append(params, connParam{written: rawKey, name: name, value: value})
	}
	return userPassword, params, nil
}

// percentDecode decodes %XX as libpq does, without + for a space, leading and trailing
// spaces dropped.
func percentDecode(s string) (string, error) {
	s = strings.Trim(s, " ")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", errors.New("a % not followed by two hex digits")
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// scanKeywordValue reads libpq's keyword/value form (host=db password='a b'), which the
// config does not take, to say which of its parameters hold a secret.
func scanKeywordValue(s string) ([]connParam, error) {
	var params []connParam
	s = strings.TrimLeft(s, " \t\n\r\v\f")
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, errors.New("not keyword=value")
		}
		key := strings.Trim(s[:eq], " \t\n\r\v\f")
		s = strings.TrimLeft(s[eq+1:], " \t\n\r\v\f")
		var value strings.Builder
		if strings.HasPrefix(s, "'") {
			s = s[1:]
			end := 0
			for ; end < len(s) && s[end] != '\''; end++ {
				if s[end] == '\\' {
					end++
				}
				if end < len(s) {
					value.WriteByte(s[end])
				}
			}
			if end >= len(s) {
				return nil, errors.New("an unterminated quoted value")
			}
			s = s[end+1:]
		} else {
			end := 0
			for ; end < len(s) && !strings.ContainsRune(" \t\n\r\v\f", rune(s[end])); end++ {
				if s[end] == '\\' && end+1 < len(s) {
					end++
				}
				value.WriteByte(s[end])
			}
			s = s[end:]
		}
		s = strings.TrimLeft(s, " \t\n\r\v\f")
		params = append(params, connParam{written: key, name: key, value: value.String()})
	}
	return params, nil
}
