// Package secretstest is an in-memory OS keyring for tests: a secrets.Store that keeps
// keys in a map, or fails, or hangs, as a broken Secret Service would.
package secretstest

import (
	"sync"

	"github.com/zalando/go-keyring"
)

// MemStore is an in-memory keyring. The zero value is empty and ready. With Err set
// every call fails with it; with Hang set Get and Set wait until it is closed.
type MemStore struct {
	Err  error
	Hang chan struct{}

	mu sync.Mutex
	m  map[string]string
}

func (s *MemStore) Get(service, account string) (string, error) {
	if s.Hang != nil {
		<-s.Hang
	}
	if s.Err != nil {
		return "", s.Err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[service+"/"+account]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (s *MemStore) Set(service, account, secret string) error {
	if s.Hang != nil {
		<-s.Hang
	}
	if s.Err != nil {
		return s.Err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[service+"/"+account] = secret
	return nil
}

func (s *MemStore) Delete(service, account string) error {
	if s.Err != nil {
		return s.Err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[service+"/"+account]; !ok {
		return keyring.ErrNotFound
	}
	delete(s.m, service+"/"+account)
	return nil
}
