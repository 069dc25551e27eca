package pgtest

import (
	"context"
	"errors"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestServerWithoutPostgreSQL(t *testing.T) {
	t.Setenv(URLEnv, "")
	t.Setenv(PasswordEnv, "")
	for _, integration := range []string{"", "1"} {
		t.Setenv(integrationEnv, integration)
		r := &recorder{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Server(r)
			r.returned = true
		}()
		<-done
		if r.returned || !strings.Contains(r.msg, "scripts/test provisions") {
			t.Errorf("%s=%q: Server returned %v, said %q", integrationEnv, integration, r.returned, r.msg)
		}
		if want := integration != ""; r.failed != want || r.skipped == want {
			t.Errorf("%s=%q: failed %v, skipped %v, want failed %v", integrationEnv, integration, r.failed, r.skipped, want)
		}
	}
}

// recorder is a testing.TB that records Fatal and Skip; it implements only what Server
// calls.
type recorder struct {
	testing.TB
	failed, skipped, returned bool
	msg                       string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.failed, r.msg = true, args[0].(string); runtime.Goexit() }
func (r *recorder) Skip(args ...any)  { r.skipped, r.msg = true, args[0].(string); runtime.Goexit() }

// TestDatabase checks that the test's role logs in with its password over TCP to its own
// database, is not a superuser but owns the database and can build in it, and that the
// URLs carry no password.
func TestDatabase(t *testing.T) {
	t.Parallel()
	db := Database(t)
	role, name := userAndDB(t, db.URL)
	for _, u := range []string{db.URL, db.Admin} {
		parsed, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		if _, set := parsed.User.Password(); set || strings.Contains(u, db.Password) {
			t.Errorf("%s has a password in it", u)
		}
		if parsed.Hostname() != "127.0.0.1" || parsed.Query().Get("sslmode") != "disable" || parsed.Path != "/"+name {
			t.Errorf("%s: want 127.0.0.1, sslmode=disable and database %s", u, name)
		}
	}
	if !strings.HasPrefix(role, "t_") || !strings.HasPrefix(name, "t_") || role == name {
		t.Errorf("role %q, database %q: want two different t_<hex> names", role, name)
	}

	ctx := context.Background()
	conn := connect(t, db.URL, db.Password)
	var user, current, owner string
	var super, createDB, createRole bool
	err := conn.QueryRow(ctx, `SELECT current_user, current_database(), rolsuper, rolcreatedb, rolcreaterole,
		(SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database())
		FROM pg_roles WHERE rolname = current_user`).Scan(&user, &current, &super, &createDB, &createRole, &owner)
	if err != nil {
		t.Fatal(err)
	}
	if user != role || current != name || owner != role {
		t.Errorf("connected as %s to %s owned by %s, want %s to %s owned by it", user, current, owner, role, name)
	}
	if super || createDB || createRole {
		t.Errorf("role %s: superuser %v, createdb %v, createrole %v; want none", role, super, createDB, createRole)
	}
	for _, sql := range []string{
		"CREATE SCHEMA raw",
		"CREATE TABLE raw.tables (id text PRIMARY KEY, name text NOT NULL)",
		"INSERT INTO raw.tables VALUES ('1', 'ünïcode ✓')",
		"CREATE TABLE public.loads (n int)",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var got string
	if err := conn.QueryRow(ctx, "SELECT name FROM raw.tables WHERE id = '1'").Scan(&got); err != nil || got != "ünïcode ✓" {
		t.Errorf("read back %q, %v", got, err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE nope"); err == nil {
		t.Error("the test's role could create a database")
	}

	adminConn := connect(t, db.Admin, adminPassword(t))
	if err := adminConn.QueryRow(ctx, "SELECT current_database(), rolsuper FROM pg_roles WHERE rolname = current_user").
		Scan(&current, &super); err != nil || current != name || !super {
		t.Errorf("Admin URL: database %s, superuser %v, %v; want %s as a superuser", current, super, err, name)
	}
}

// TestDatabasePasswordRequired checks that the server really asks for the password over
// TCP, rather than trusting whoever connects.
func TestDatabasePasswordRequired(t *testing.T) {
	t.Parallel()
	db := Database(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, password := range []string{"wrong", "", db.Password + "x"} {
		conn, err := Connect(ctx, db.URL, password)
		if err == nil {
			conn.Close(ctx)
			t.Errorf("connected with password %q", password)
			continue
		}
		if password == "" {
			continue // pgx may refuse before asking the server
		}
		if code := pgCode(err); code != "28P01" { // invalid_password
			t.Errorf("password %q: %v (SQLSTATE %q), want an authentication failure 28P01", password, err, code)
		}
	}
	admin, _ := Server(t)
	if conn, err := Connect(ctx, admin, "wrong"); err == nil {
		conn.Close(ctx)
		t.Error("connected as the admin with a wrong password")
	} else if code := pgCode(err); code != "28P01" {
		t.Errorf("admin with a wrong password: %v (SQLSTATE %q), want 28P01", err, code)
	}
}

// TestDatabasesIsolated checks that two tests' databases do not see each other and
// that one test's role cannot connect to the other's database.
func TestDatabasesIsolated(t *testing.T) {
	t.Parallel()
	a, b := Database(t), Database(t)
	roleA, nameA := userAndDB(t, a.URL)
	roleB, nameB := userAndDB(t, b.URL)
	if roleA == roleB || nameA == nameB || a.Password == b.Password {
		t.Fatalf("two databases share a name, role or password: %s %s, %s %s", roleA, nameA, roleB, nameB)
	}
	ctx := context.Background()
	connA, connB := connect(t, a.URL, a.Password), connect(t, b.URL, b.Password)
	if _, err := connA.Exec(ctx, "CREATE TABLE only_in_a (n int)"); err != nil {
		t.Fatal(err)
	}
	var found *string
	if err := connB.QueryRow(ctx, "SELECT to_regclass('public.only_in_a')::text").Scan(&found); err != nil || found != nil {
		t.Errorf("database %s sees a table of %s: %v, %v", nameB, nameA, found, err)
	}
	// A's role, with its own password, at B's database.
	aAtB := strings.Replace(b.URL, roleB+"@", roleA+"@", 1)
	if conn, err := Connect(ctx, aAtB, a.Password); err == nil {
		conn.Close(ctx)
		t.Errorf("role %s connected to database %s", roleA, nameB)
	} else if code := pgCode(err); code != "42501" { // insufficient_privilege
		t.Errorf("role %s at database %s: %v (SQLSTATE %q), want 42501", roleA, nameB, err, code)
	}
	if conn, err := Connect(ctx, a.URL, b.Password); err == nil {
		conn.Close(ctx)
		t.Errorf("role %s connected with %s's password", roleA, roleB)
	}
}

// TestDatabaseDropped checks that a test's database and role are gone once the test
// has ended, even though it left a connection open.
func TestDatabaseDropped(t *testing.T) {
	t.Parallel()
	adminURL, password := Server(t)
	ctx := context.Background()
	var role, name string
	var left *pgx.Conn
	t.Run("test", func(t *testing.T) {
		db := Database(t)
		role, name = userAndDB(t, db.URL)
		conn, err := Connect(ctx, db.URL, db.Password)
		if err != nil {
			t.Fatal(err)
		}
		left = conn // not closed: DROP DATABASE ... WITH (FORCE) must end it
		if _, err := conn.Exec(ctx, "CREATE TABLE t (n int)"); err != nil {
			t.Fatal(err)
		}
	})
	if left != nil {
		defer left.Close(ctx)
	}
	if name == "" {
		t.Fatal("the subtest did not get a database")
	}
	admin := connect(t, adminURL, password)
	var databases, roles int
	if err := admin.QueryRow(ctx, "SELECT (SELECT count(*) FROM pg_database WHERE datname = $1), (SELECT count(*) FROM pg_roles WHERE rolname = $2)",
		name, role).Scan(&databases, &roles); err != nil {
		t.Fatal(err)
	}
	if databases != 0 || roles != 0 {
		t.Errorf("after the test: %d databases %s and %d roles %s, want none", databases, name, roles, role)
	}
	if left == nil {
		t.Fatal("the subtest did not leave a connection open")
	}
	if err := left.Ping(ctx); err == nil {
		t.Error("the connection the test left open still works after its database was dropped")
	}
}

// connect connects or fails t, and closes the connection when t ends.
func connect(t *testing.T, url, password string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := Connect(ctx, url, password)
	if err != nil {
		t.Fatalf("connecting to %s: %v", url, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func userAndDB(t *testing.T, url string) (user, database string) {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.User, cfg.Database
}

func adminPassword(t *testing.T) string {
	_, password := Server(t)
	return password
}

// pgCode is the SQLSTATE of the server error in err, or "".
func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
