package dataimport

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/atelier-app/atelier"
)

// The files of the CSV layout.
const (
	itemsFile        = "items.csv"
	consumersFile    = "consumers.csv"
	interactionsFile = "interactions.csv"
)

// rowError is a bad row of a file; reading goes on after it.
type rowError struct{ msg string }

func (e rowError) Error() string { return e.msg }

// csvFile reads a CSV file of the dataset a record at a time, finding
// columns by header name.
type csvFile struct {
	name   string
	f      *os.File
	r      *csv.Reader
	header []string
	cols   map[string]int
	total  int // data lines, an estimate for progress (quoted fields may span lines)
}

// openCSV opens name in root and reads its header, which must have the
// required columns. A missing file returns nil and no error.
func openCSV(root *os.Root, name string, required ...string) (*csvFile, error) {
	f, err := root.Open(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	total, err := countLines(f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 64<<10))
	r.FieldsPerRecord = -1 // checked per row, so that one bad row is only that row
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		f.Close()
		if errors.Is(err, io.EOF) {
			return nil, atelier.Errorf(atelier.KindInvalid, "%s is empty (want a header row)", name)
		}
		return nil, atelier.Errorf(atelier.KindInvalid, "%s: header: %v", name, err)
	}
	c := &csvFile{name: name, f: f, r: r, header: append([]string(nil), header...), cols: map[string]int{}, total: max(total-1, 0)}
	if len(c.header) > 0 {
		c.header[0] = strings.TrimPrefix(c.header[0], "\ufeff") // spreadsheet exports start with a BOM
	}
	for i, h := range c.header {
		h = strings.TrimSpace(h)
		c.header[i] = h
		if _, dup := c.cols[h]; !dup {
			c.cols[h] = i
		}
	}
	for _, col := range required {
		if _, ok := c.cols[col]; !ok {
			f.Close()
			return nil, atelier.Errorf(atelier.KindInvalid, "%s has no %s column (header: %s)", name, col, strings.Join(c.header, ","))
		}
	}
	return c, nil
}

// next returns the next record and its line. A malformed record is a
// rowError (reading may go on); io.EOF ends the file.
func (c *csvFile) next() ([]string, int, error) {
	rec, err := c.r.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, io.EOF
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return nil, pe.StartLine, rowError{pe.Err.Error()}
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read %s: %w", c.name, err)
	}
	line, _ := c.r.FieldPos(0)
	if len(rec) != len(c.header) {
		return nil, line, rowError{fmt.Sprintf("%d fields, the header has %d", len(rec), len(c.header))}
	}
	return rec, line, nil
}

func (c *csvFile) close() { c.f.Close() }

// countLines counts the lines of r (a last line without "\n" included).
func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 64<<10)
	n, last := 0, byte('\n')
	for {
		k, err := r.Read(buf)
		if k > 0 {
			n += bytes.Count(buf[:k], []byte{'\n'})
			last = buf[k-1]
		}
		if errors.Is(err, io.EOF) {
			if last != '\n' {
				n++
			}
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
}
