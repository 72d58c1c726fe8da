package proto

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// LineReader reads newline-terminated lines of at most MaxLineBytes (or a smaller limit) from a
// stream, whatever chunks the stream delivers them in. A longer line is skipped to its end
// without being buffered and reported as ErrLineTooLong; the reader then goes on with the next
// line. A trailing "\r" is removed, so CRLF from telnet-like tools works.
type LineReader struct {
	r     *bufio.Reader
	max   int
	line  []byte
	small [256]byte
}

// NewLineReader reads from r with a small buffer; max ≤ 0 means MaxLineBytes.
func NewLineReader(r io.Reader, max int) *LineReader {
	if max <= 0 || max > MaxLineBytes {
		max = MaxLineBytes
	}
	lr := &LineReader{r: bufio.NewReaderSize(r, 512), max: max}
	lr.line = lr.small[:0]
	return lr
}

// ReadLine returns the next line without its newline. The slice is valid until the next call.
// At the end of the stream a final unterminated line is returned first, then io.EOF.
func (lr *LineReader) ReadLine() ([]byte, error) {
	if cap(lr.line) > 4096 { // do not keep a large buffer alive per idle connection
		lr.line = lr.small[:0]
	}
	lr.line = lr.line[:0]
	tooLong := false
	for {
		chunk, err := lr.r.ReadSlice('\n')
		if !tooLong {
			content := len(lr.line) + len(chunk)
			if err == nil { // chunk ends with the newline
				content--
			}
			if content > lr.max {
				tooLong = true
				lr.line = lr.line[:0]
			} else {
				lr.line = append(lr.line, chunk...)
			}
		}
		switch {
		case err == nil:
			if tooLong {
				return nil, ErrLineTooLong
			}
			line := lr.line[:len(lr.line)-1]
			return bytes.TrimSuffix(line, []byte{'\r'}), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if tooLong {
				return nil, ErrLineTooLong
			}
			if len(lr.line) > 0 {
				line := bytes.TrimSuffix(lr.line, []byte{'\r'})
				lr.line = lr.line[len(lr.line):] // next call returns EOF
				return line, nil
			}
			return nil, io.EOF
		default:
			return nil, err
		}
	}
}

// PeekByte returns the next byte of the stream without consuming it, waiting for it as a read
// would. The lobby looks at a connection's first byte to tell a TLS handshake from a line.
func (lr *LineReader) PeekByte() (byte, error) {
	b, err := lr.r.Peek(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}
