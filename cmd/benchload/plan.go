package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
)

// planMagic opens a plan file: the distinct requests (records, length, body), then the
// order in which they are sent, as indexes. Building a vendor plan of 300000 events takes
// several seconds; a benchmark that sends the same plan to many collectors builds it once.
const planMagic = "benchload-plan-1\n"

var errPlanFormat = errors.New("not a benchload plan")

// writePlan writes p to path.
func writePlan(path string, p plan) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	index := make(map[*request]uint64)
	var distinct []*request
	for _, r := range p {
		if _, ok := index[r]; !ok {
			index[r] = uint64(len(distinct))
			distinct = append(distinct, r)
		}
	}
	var buf []byte
	buf = append(buf, planMagic...)
	buf = binary.AppendUvarint(buf, uint64(len(distinct)))
	_, _ = w.Write(buf)
	for _, r := range distinct {
		buf = binary.AppendUvarint(buf[:0], uint64(r.records))
		buf = binary.AppendUvarint(buf, uint64(len(r.body)))
		_, _ = w.Write(buf)
		_, _ = w.Write(r.body)
	}
	buf = binary.AppendUvarint(buf[:0], uint64(len(p)))
	for _, r := range p {
		buf = binary.AppendUvarint(buf, index[r])
	}
	_, _ = w.Write(buf)
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return fmt.Errorf("write plan: %w", err)
	}
	return f.Close()
}

// readPlan reads a plan written by writePlan. The bodies share the file's one buffer.
func readPlan(path string) (plan, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(raw, []byte(planMagic)) {
		return nil, fmt.Errorf("%s: %w", path, errPlanFormat)
	}
	rest := raw[len(planMagic):]
	uvarint := func() (uint64, error) {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			return 0, fmt.Errorf("%s: %w: truncated", path, errPlanFormat)
		}
		rest = rest[n:]
		return v, nil
	}
	nDistinct, err := uvarint()
	if err != nil {
		return nil, err
	}
	if nDistinct > uint64(len(rest)) {
		return nil, fmt.Errorf("%s: %w: %d requests in %d bytes", path, errPlanFormat, nDistinct, len(rest))
	}
	distinct := make([]*request, nDistinct)
	for i := range distinct {
		records, err := uvarint()
		if err != nil {
			return nil, err
		}
		size, err := uvarint()
		if err != nil {
			return nil, err
		}
		if size > uint64(len(rest)) {
			return nil, fmt.Errorf("%s: %w: truncated body", path, errPlanFormat)
		}
		distinct[i] = &request{body: rest[:size:size], records: int(records)}
		rest = rest[size:]
	}
	nOrder, err := uvarint()
	if err != nil {
		return nil, err
	}
	if nOrder > uint64(len(rest)) {
		return nil, fmt.Errorf("%s: %w: %d sends in %d bytes", path, errPlanFormat, nOrder, len(rest))
	}
	p := make(plan, nOrder)
	for i := range p {
		j, err := uvarint()
		if err != nil {
			return nil, err
		}
		if j >= nDistinct {
			return nil, fmt.Errorf("%s: %w: request %d out of range", path, errPlanFormat, j)
		}
		p[i] = distinct[j]
	}
	return p, nil
}
