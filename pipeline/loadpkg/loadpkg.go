// Package loadpkg is a load package: the normalized rows of one run, spooled to disk
// table by table while Secoda is read, then loaded into the destination in one
// transaction. Spooling keeps memory flat however big the workspace, and keeps the
// destination free for queries until the load itself, which takes seconds where the
// extraction (paced by Secoda's rate limit) may take an hour.
//
// A package is complete only once its manifest is written; a run killed before that
// leaves the destination untouched, and a folder the next run resumes (journal.go).
//
// Its files are opened under projectfs's rule, with the package's folder as the
// boundary: a link in it that leads out of it, or a named pipe, is refused. The folder
// itself is the caller's to check against the project.
package loadpkg

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
	"unsafe"

	"github.com/secoda-workbench/secoda-workbench/internal/projectfs"
	"github.com/secoda-workbench/secoda-workbench/pipeline/normalize"
)

const manifestName = "manifest.json"

// Manifest describes a complete package.
type Manifest struct {
	LoadID string           `json:"load_id"`
	Rows   map[string]int64 `json:"rows"` // per table
}

// Writer spools rows. Row may be called from several goroutines as long as each
// table is written by one of them (each resource writes its own tables).
type Writer struct {
	dir    string
	root   projectfs.Root // dir, for opening its files
	mu     sync.Mutex
	tables map[string]*tableFile

	jmu     sync.Mutex // the journal
	journal *os.File
	synced  time.Time
}

type tableFile struct {
	f        *os.File
	w        *bufio.Writer
	rows     int64
	bytes    int64  // written, buffered included
	resource string // the resource whose rows these are
	buf      []byte
}

// Create starts a package in dir, which must not exist yet.
func Create(dir string) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, err
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the load package: %w", err)
	}
	root, err := projectfs.OpenFolder(dir)
	if err != nil {
		return nil, err
	}
	return &Writer{dir: dir, root: root, tables: map[string]*tableFile{}, synced: time.Now()}, nil
}

// Dir is the package's folder.
func (w *Writer) Dir() string { return w.dir }

// Row appends one row of t; it implements normalize.Sink.
func (w *Writer) Row(t *normalize.Table, cells []normalize.Cell) error {
	tf, err := w.table(t)
	if err != nil {
		return err
	}
	b := tf.buf[:0]
	b = binary.AppendUvarint(b, uint64(len(cells)))
	for _, c := range cells {
		b = appendCell(b, c)
	}
	var head [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(head[:], uint64(len(b)))
	if _, err := tf.w.Write(head[:n]); err != nil {
		return err
	}
	if _, err := tf.w.Write(b); err != nil {
		return err
	}
	tf.buf = b
	tf.rows++
	tf.bytes += int64(n + len(b))
	return nil
}

func (w *Writer) table(t *normalize.Table) (*tableFile, error) {
	name := t.Name
	w.mu.Lock()
	defer w.mu.Unlock()
	if tf, ok := w.tables[name]; ok {
		return tf, nil
	}
	f, err := w.root.OpenFile(fileName(name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spooling table %s: %w", name, err)
	}
	tf := &tableFile{f: f, w: bufio.NewWriterSize(f, 256<<10), resource: t.Resource}
	w.tables[name] = tf
	return tf, nil
}

// Finish flushes every table and writes the manifest, which makes the package
// complete. The files are synced first, so a complete package survives a crash.
func (w *Writer) Finish(loadID string) (Manifest, error) {
	m := Manifest{LoadID: loadID, Rows: map[string]int64{}}
	var errs []error
	for name, tf := range w.tables {
		m.Rows[name] = tf.rows
		errs = append(errs, tf.w.Flush(), tf.f.Sync(), tf.f.Close())
	}
	w.jmu.Lock()
	if w.journal != nil {
		errs = append(errs, w.journal.Sync(), w.journal.Close())
		w.journal = nil
	}
	w.jmu.Unlock()
	if err := errors.Join(errs...); err != nil {
		return m, fmt.Errorf("writing the load package: %w", err)
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return m, writeSynced(w.root, manifestName, b)
}

// Abort closes the files and removes the package.
func (w *Writer) Abort() error {
	w.Close()
	return os.RemoveAll(w.dir)
}

// Close closes the files and leaves the package for a later run to resume.
func (w *Writer) Close() {
	w.mu.Lock()
	for _, tf := range w.tables {
		_ = tf.w.Flush()
		tf.f.Close()
	}
	w.mu.Unlock()
	w.jmu.Lock()
	if w.journal != nil {
		w.journal.Close()
		w.journal = nil
	}
	w.jmu.Unlock()
}

// writeSynced writes a file of the package whole: synced under a temporary name, then
// renamed into place.
func writeSynced(root projectfs.Root, name string, b []byte) error {
	return root.WriteFile(name, b, 0o600)
}

// fileName keeps table names (snake_case already) out of trouble on any file system.
func fileName(table string) string { return table + ".rows" }

// Reader reads a complete package.
type Reader struct {
	dir  string
	root projectfs.Root
	m    Manifest
}

// Open opens a complete package; a folder without a manifest is an incomplete one.
func Open(dir string) (*Reader, error) {
	root, err := projectfs.OpenFolder(dir)
	if err != nil {
		return nil, err
	}
	b, err := root.ReadFile(manifestName)
	if err != nil {
		return nil, fmt.Errorf("load package %s is incomplete: %w", dir, err)
	}
	r := &Reader{dir: dir, root: root}
	if err := json.Unmarshal(b, &r.m); err != nil {
		return nil, fmt.Errorf("load package %s: bad manifest: %w", dir, err)
	}
	return r, nil
}

// Manifest describes the package.
func (r *Reader) Manifest() Manifest { return r.m }

// Tables lists the tables that have rows, sorted.
func (r *Reader) Tables() []string {
	var out []string
	for t, n := range r.m.Rows {
		if n > 0 {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// Rows calls fn with each row of a table, in the order written. The cells and their
// strings are valid only until fn returns.
func (r *Reader) Rows(table string, fn func(cells []normalize.Cell) error) error {
	f, err := r.root.OpenFile(fileName(table), os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 256<<10)
	var buf []byte
	var cells []normalize.Cell
	for n := int64(0); ; n++ {
		size, err := binary.ReadUvarint(br)
		if err == io.EOF {
			if n != r.m.Rows[table] {
				return fmt.Errorf("load package table %s: %d rows, the manifest says %d", table, n, r.m.Rows[table])
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("load package table %s, row %d: %w", table, n, err)
		}
		if uint64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(br, buf); err != nil {
			return fmt.Errorf("load package table %s, row %d: %w", table, n, err)
		}
		if cells, err = decodeRow(buf, cells[:0]); err != nil {
			return fmt.Errorf("load package table %s, row %d: %w", table, n, err)
		}
		if err := fn(cells); err != nil {
			return err
		}
	}
}

// The cell encoding: a tag, then the value.
const (
	tagNull byte = iota
	tagText
	tagBigInt
	tagDouble
	tagBool
	tagTimestamp
	tagJSON
)

func appendCell(b []byte, c normalize.Cell) []byte {
	switch c.Type {
	case normalize.Text, normalize.JSON:
		tag := tagText
		if c.Type == normalize.JSON {
			tag = tagJSON
		}
		b = append(b, tag)
		b = binary.AppendUvarint(b, uint64(len(c.Str)))
		return append(b, c.Str...)
	case normalize.BigInt:
		return binary.AppendVarint(append(b, tagBigInt), c.Int)
	case normalize.Timestamp:
		return binary.AppendVarint(append(b, tagTimestamp), c.Int)
	case normalize.Bool:
		return append(b, tagBool, byte(c.Int))
	case normalize.Double:
		return binary.LittleEndian.AppendUint64(append(b, tagDouble), math.Float64bits(c.Num))
	}
	return append(b, tagNull)
}

var errCorrupt = errors.New("corrupt row")

func decodeRow(b []byte, cells []normalize.Cell) ([]normalize.Cell, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, errCorrupt
	}
	b = b[k:]
	for range n {
		if len(b) == 0 {
			return nil, errCorrupt
		}
		tag := b[0]
		b = b[1:]
		var c normalize.Cell
		switch tag {
		case tagNull:
		case tagText, tagJSON:
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return nil, errCorrupt
			}
			c.Type = normalize.Text
			if tag == tagJSON {
				c.Type = normalize.JSON
			}
			if l > 0 {
				c.Str = unsafe.String(&b[k], int(l))
			}
			b = b[k+int(l):]
		case tagBigInt, tagTimestamp:
			v, k := binary.Varint(b)
			if k <= 0 {
				return nil, errCorrupt
			}
			c.Type, c.Int = normalize.BigInt, v
			if tag == tagTimestamp {
				c.Type = normalize.Timestamp
			}
			b = b[k:]
		case tagBool:
			if len(b) < 1 {
				return nil, errCorrupt
			}
			c.Type, c.Int = normalize.Bool, int64(b[0])
			b = b[1:]
		case tagDouble:
			if len(b) < 8 {
				return nil, errCorrupt
			}
			c.Type, c.Num = normalize.Double, math.Float64frombits(binary.LittleEndian.Uint64(b))
			b = b[8:]
		default:
			return nil, errCorrupt
		}
		cells = append(cells, c)
	}
	return cells, nil
}
