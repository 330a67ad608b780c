package coalesce_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/weather-apis/weather_apis/internal/coalesce"
)

// serve starts a real net/http server on loopback behind a coalescing
// listener. Its handler answers GET /?n=N with N bytes; armed=false leaves
// the connection unarmed (plain net/http behaviour).
func serve(t *testing.T, armed bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		ConnContext: coalesce.ConnContext,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			body := bytes.Repeat([]byte{'x'}, n)
			if n > 1 {
				body[0], body[n-1] = '<', '>'
			}
			w.Header().Set("Content-Length", strconv.Itoa(n))
			c := coalesce.From(r.Context())
			if armed {
				c.Arm()
			}
			_, _ = w.Write(body)
			c.Disarm()
		}),
	}
	go func() { _ = srv.Serve(coalesce.Listener{Listener: ln}) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String()
}

// get fetches n bytes over the client's keep-alive connection within 5 s.
func get(t *testing.T, c *http.Client, base string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/?n="+strconv.Itoa(n), nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("n=%d: %v (a held write was never sent?)", n, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || len(b) != n || (n > 1 && (b[0] != '<' || b[n-1] != '>')) {
		t.Fatalf("n=%d: got %d bytes, err %v", n, len(b), err)
	}
}

// TestEveryAnswerArrives: whatever the body size, in particular those whose
// last buffer flush is exactly one full buffer, every answer arrives whole
// on a keep-alive connection: nothing is left held.
func TestEveryAnswerArrives(t *testing.T) {
	t.Parallel()
	base := serve(t, true)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer c.CloseIdleConnections()
	sizes := []int{0, 1, 100, 8192, 8193, 12288, 100 << 10, 1 << 20}
	for n := 3500; n <= 4700; n++ { // header + body crossing 4096 at every offset
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		get(t, c, base, n)
	}
}

// writeSyscalls is this process's count of write system calls (write,
// writev, ...), from /proc/self/io.
func writeSyscalls(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatalf("reading /proc/self/io: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	t.Fatal("no syscw in /proc/self/io")
	return 0
}

// TestOneWritePerAnswer counts write system calls: a ~6 KB answer costs the
// server one (plus the client's one for the request) when armed, two when
// not.
func TestOneWritePerAnswer(t *testing.T) {
	const rounds, size = 200, 5728 // the cached farm schema's envelope
	cases := []struct {
		armed    bool
		min, max float64 // write syscalls per round trip
	}{
		{true, 1.9, 2.3},
		{false, 2.8, 3.3},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("armed=%v", tc.armed), func(t *testing.T) {
			base := serve(t, tc.armed)
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer c.CloseIdleConnections()
			get(t, c, base, size) // connect outside the count
			before := writeSyscalls(t)
			for i := 0; i < rounds; i++ {
				get(t, c, base, size)
			}
			per := float64(writeSyscalls(t)-before) / rounds
			if per < tc.min || per > tc.max {
				t.Errorf("%.2f write system calls per round trip; want %.1f..%.1f", per, tc.min, tc.max)
			}
		})
	}
}

// pair returns both ends of a loopback TCP connection, the server end
// wrapped in a Conn.
func pair(t *testing.T) (*coalesce.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := coalesce.Listener{Listener: ln}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return server.(*coalesce.Conn), client
}

// readWithin reads exactly n bytes from c, failing after d.
func readWithin(c net.Conn, n int, d time.Duration) ([]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(d))
	b := make([]byte, n)
	_, err := io.ReadFull(bufio.NewReader(c), b)
	return b, err
}

func TestConnHoldsOnlyArmedFullBuffers(t *testing.T) {
	t.Parallel()
	full := bytes.Repeat([]byte{'a'}, 4096)
	ops := []struct {
		name string
		op   func(c *coalesce.Conn) error
	}{
		{"SetWriteDeadline", func(c *coalesce.Conn) error { return c.SetWriteDeadline(time.Time{}) }},
		{"SetReadDeadline", func(c *coalesce.Conn) error { return c.SetReadDeadline(time.Now().Add(time.Hour)) }},
		{"SetDeadline", func(c *coalesce.Conn) error { return c.SetDeadline(time.Time{}) }},
		{"CloseWrite", func(c *coalesce.Conn) error { return c.CloseWrite() }},
		{"Close", func(c *coalesce.Conn) error { return c.Close() }},
	}
	for _, tc := range ops {
		t.Run("held until "+tc.name, func(t *testing.T) {
			server, client := pair(t)
			server.Arm()
			if n, err := server.Write(full); n != len(full) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			server.Disarm()
			if _, err := readWithin(client, 1, 100*time.Millisecond); err == nil {
				t.Fatal("an armed full-buffer write was sent at once; want it held")
			}
			if err := tc.op(server); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if b, err := readWithin(client, len(full), 2*time.Second); err != nil || !bytes.Equal(b, full) {
				t.Fatalf("after %s: %v; want the held write", tc.name, err)
			}
		})
	}
	t.Run("sent with the next write, in order", func(t *testing.T) {
		server, client := pair(t)
		server.Arm()
		_, _ = server.Write(full)
		if n, err := server.Write([]byte("tail")); n != 4 || err != nil {
			t.Fatalf("second Write = %d, %v; want 4, nil", n, err)
		}
		b, err := readWithin(client, 4100, 2*time.Second)
		if err != nil || !bytes.Equal(b[:4096], full) || string(b[4096:]) != "tail" {
			t.Fatalf("got %d bytes, %v; want the held buffer then the tail", len(b), err)
		}
	})
	t.Run("unarmed or other sizes go out at once", func(t *testing.T) {
		server, client := pair(t)
		_, _ = server.Write(full) // not armed
		server.Arm()
		_, _ = server.Write(full[:4095]) // armed, not one full buffer
		if _, err := readWithin(client, 4096+4095, 2*time.Second); err != nil {
			t.Fatalf("writes were held: %v", err)
		}
	})
	t.Run("a failed send is reported by the next operation", func(t *testing.T) {
		server, client := pair(t)
		server.Arm()
		_, _ = server.Write(full)
		_ = client.Close()
		_ = server.Conn.(*net.TCPConn).CloseWrite() // the held bytes can no longer be sent
		_ = server.SetWriteDeadline(time.Time{})    // tries, fails, keeps the error
		if _, err := server.Write([]byte("x")); err == nil {
			t.Fatal("Write after a failed send of a held write succeeded; want the error")
		}
	})
}
