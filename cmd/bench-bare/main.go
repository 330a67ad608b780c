// Command bench-bare is the baseline of the benchmark harness
// (deploy/bench/run.sh): a bare net/http server, standard library only, that
// answers every request with one fixed body and fixed headers held in memory.
// The harness feeds it the exact bytes and headers weather_apis returned, so
// the difference between the two is what the ExApp's own work costs.
//
//	bench-bare -listen 127.0.0.1:8099 -body-file body.json \
//	    -header 'Content-Type: application/json' -header 'Cache-Control: no-store'
//
// Date and Content-Length are set by net/http as for any handler; giving them
// (or Connection / Transfer-Encoding) with -header is an error. The server
// prints "listening on ADDR" once it accepts connections and stops cleanly on
// SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench-bare:", err)
		os.Exit(2)
	}
}

// run parses args, listens, prints the address to out and serves until ctx
// is done.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench-bare", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "host:port to listen on (loopback)")
	bodyFile := fs.String("body-file", "", "file whose bytes are the response body (required)")
	headers := http.Header{}
	fs.Func("header", "response header 'Name: value' (repeatable)", func(s string) error {
		return addHeader(headers, s)
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bodyFile == "" {
		return errors.New("-body-file is required")
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: newHandler(body, headers), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintln(out, "listening on", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

// addHeader parses "Name: value" into h (canonical name, value trimmed).
func addHeader(h http.Header, s string) error {
	name, value, ok := strings.Cut(s, ":")
	name = strings.TrimSpace(name)
	if !ok || name == "" || strings.ContainsAny(name, " \t") {
		return fmt.Errorf("header %q: want 'Name: value'", s)
	}
	name = textproto.CanonicalMIMEHeaderKey(name)
	switch name { // computed by net/http itself
	case "Date", "Content-Length", "Connection", "Transfer-Encoding":
		return fmt.Errorf("header %q is set by net/http", name)
	}
	h.Add(name, strings.TrimSpace(value))
	return nil
}

// newHandler answers every request with body and headers. The header slices
// are shared read-only between responses; nothing is allocated per request
// beyond what net/http itself does.
func newHandler(body []byte, headers http.Header) http.Handler {
	length := []string{strconv.Itoa(len(body))}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for k, v := range headers {
			h[k] = v
		}
		h["Content-Length"] = length
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}
