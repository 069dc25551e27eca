package bucket

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"
)

// writeHolder writes a lock object as another holder would.
func writeHolder(s *Store, key, host string, pid int, lease time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := s.open(ctx)
	if err != nil {
		return err
	}
	data, _ := json.Marshal(lockBody{Token: "other", Host: host, PID: pid, Acquired: time.Now().UTC(), Expires: time.Now().UTC().Add(lease)})
	return writeAll(ctx, b, s.key(key), data, nil)
}

// FakeHolder writes a lock held by process pid of this machine.
func FakeHolder(t *testing.T, s *Store, key string, pid int, lease time.Duration) error {
	host, _ := os.Hostname()
	return writeHolder(s, key, host, pid, lease)
}

// FakeHolderElsewhere writes a lock held by a process of another machine.
func FakeHolderElsewhere(t *testing.T, s *Store, key string, lease time.Duration) error {
	return writeHolder(s, key, "elsewhere.example", 1, lease)
}

// Overwrite replaces the lock with another holder's, live for an hour.
func Overwrite(t *testing.T, s *Store, key string) error {
	return writeHolder(s, key, "elsewhere.example", 1, time.Hour)
}
