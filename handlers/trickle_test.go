package handlers_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestTrickledBodyIsCutOff: a client that sends its body a byte a second
// gets the 503 TIMEOUT envelope when the request's deadline (2 s here) has
// passed, and the connection is closed right after it instead of being held
// for as long as the client keeps trickling.
func TestTrickledBodyIsCutOff(t *testing.T) {
	srv := httptest.NewServer(newServer(t, nil))
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hr := httptest.NewRequest("POST", "/api/v1/admin/farms", nil)
	creds.Sign(hr.Header, "admin")
	var head strings.Builder
	fmt.Fprintf(&head, "POST /api/v1/admin/farms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n")
	for k, vs := range hr.Header {
		for _, v := range vs {
			fmt.Fprintf(&head, "%s: %s\r\n", k, v)
		}
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(conn, head.String()); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	start := time.Now()
	_ = conn.SetReadDeadline(start.Add(10 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	body, _ := io.ReadAll(resp.Body) // ends when the server closes the connection
	took := time.Since(start)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"TIMEOUT"`) {
		t.Errorf("answer = %d %s; want 503 TIMEOUT", resp.StatusCode, body)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("after the 503 the connection is still open (read: %v)", err)
	}
	if took > 5*time.Second {
		t.Errorf("answer and close took %v; want about the 2 s deadline + grace", took)
	}
	t.Logf("503 and close after %v", took.Round(10*time.Millisecond))
}
