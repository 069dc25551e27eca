// Package pgtest gives tests a real PostgreSQL: the throwaway cluster that scripts/test
// starts on 127.0.0.1, and in it a fresh database per test, owned by a fresh login role
// that is not a superuser, dropped when the test ends.
//
// Without that cluster the tests that use it skip, unless SECODA_WORKBENCH_INTEGRATION is
// set (scripts/test sets it): then they fail, so a broken set-up never passes as skipped.
//
// Passwords never go into URLs here: the URLs name the role only, and Connect takes the
// password separately, so printing a URL in a failure message gives nothing away.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

const (
	// URLEnv holds the admin URL of the cluster scripts/test starts, without a password:
	// postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable.
	URLEnv = "SECODA_WORKBENCH_TEST_PG_URL"
	// PasswordEnv holds the admin's password for URLEnv.
	PasswordEnv = "SECODA_WORKBENCH_TEST_PG_PASSWORD"
	// integrationEnv is set by scripts/test: the integration tests must run, not skip.
	integrationEnv = "SECODA_WORKBENCH_INTEGRATION"
)

// setupTimeout bounds creating and dropping a test's database and role.
const setupTimeout = 30 * time.Second

// Server returns the admin (superuser) URL and password of the PostgreSQL that
// scripts/test provisions. Without it, it skips the test, or fails it when
// SECODA_WORKBENCH_INTEGRATION is set.
func Server(t testing.TB) (adminURL, password string) {
	t.Helper()
	adminURL, password = os.Getenv(URLEnv), os.Getenv(PasswordEnv)
	if adminURL != "" && password != "" {
		return adminURL, password
	}
	msg := "needs the PostgreSQL that scripts/test provisions (" + URLEnv + " and " + PasswordEnv + ")"
	if os.Getenv(integrationEnv) != "" {
		t.Fatal(msg + ", and " + integrationEnv + " is set: run the tests with scripts/test")
	}
	t.Skip(msg)
	return "", ""
}

// DB is one test's database.
type DB struct {
	// URL connects as the database's owner, a role made for the test:
	// postgres://ROLE@127.0.0.1:PORT/DBNAME?sslmode=disable, without its password.
	URL string
	// Password is the role's password.
	Password string
	// Admin connects to the same database as the cluster's superuser, without its
	// password (that is Server's).
	Admin string
}

// Database creates a database for t alone: a new login role t_<random hex> with a random
// password, neither superuser nor allowed to create databases or roles, and a new
// database t_<random hex> owned by it, which no other role but superusers may connect
// to. When t ends, both are dropped, even with connections still open.
func Database(t testing.TB) DB {
	t.Helper()
	adminURL, adminPassword := Server(t)
	base, err := url.Parse(adminURL)
	if err != nil || (base.Scheme != "postgres" && base.Scheme != "postgresql") || base.User == nil {
		t.Fatalf("pgtest: %s is not a postgres://USER@HOST:PORT/DB URL", URLEnv)
	}
	role, name, password := "t_"+randomHex(8), "t_"+randomHex(8), randomHex(16)
	db := DB{
		URL:      withUserAndDB(base, role, name),
		Password: password,
		Admin:    withUserAndDB(base, base.User.Username(), name),
	}

	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	admin, err := Connect(ctx, adminURL, adminPassword)
	if err != nil {
		t.Fatalf("pgtest: connecting to %s: %v", adminURL, err)
	}
	defer admin.Close(ctx)
	roleID, nameID := pgx.Identifier{role}.Sanitize(), pgx.Identifier{name}.Sanitize()
	if _, err := admin.Exec(ctx, "CREATE ROLE "+roleID+
		" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD "+quoteLiteral(password)); err != nil {
		t.Fatalf("pgtest: creating role %s: %v", role, err)
	}
	// Registered before the database exists, so a failure below still drops what was made.
	t.Cleanup(func() { drop(t, adminURL, adminPassword, role, name) })
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+nameID+" OWNER "+roleID+" ENCODING 'UTF8'"); err != nil {
		t.Fatalf("pgtest: creating database %s: %v", name, err)
	}
	if _, err := admin.Exec(ctx, "REVOKE CONNECT, TEMPORARY ON DATABASE "+nameID+" FROM PUBLIC"); err != nil {
		t.Fatalf("pgtest: restricting database %s to its owner: %v", name, err)
	}
	return db
}

// drop drops the database (closing its connections) and then the role; it reports a
// failure on t, since what is left behind would pile up in the cluster.
func drop(t testing.TB, adminURL, adminPassword, role, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	admin, err := Connect(ctx, adminURL, adminPassword)
	if err != nil {
		t.Errorf("pgtest: connecting to %s to drop database %s: %v", adminURL, name, err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("pgtest: dropping database %s: %v", name, err)
	}
	if _, err := admin.Exec(ctx, "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Errorf("pgtest: dropping role %s: %v", role, err)
	}
}

// Connect connects to url (a postgres:// URL or key=value string) with password.
func Connect(ctx context.Context, url, password string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.Password = password
	return pgx.ConnectConfig(ctx, cfg)
}

// withUserAndDB is base with user (and no password) and database name.
func withUserAndDB(base *url.URL, user, name string) string {
	u := *base
	u.User = url.User(user)
	u.Path, u.RawPath = "/"+name, ""
	return u.String()
}

// randomHex is n random bytes in lower-case hex: valid in unquoted identifiers too.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (it crashes the program instead)
	return hex.EncodeToString(b)
}

// quoteLiteral is s as an SQL string literal (standard_conforming_strings is on).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
