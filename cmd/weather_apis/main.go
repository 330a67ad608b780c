// Command weather_apis is the weather_apis Nextcloud ExApp server.
//
//	weather_apis                 serve (TCP APP_HOST:APP_PORT, or HP_EXAPP_SOCK when HP_SHARED_KEY is set)
//	weather_apis check-config    print the effective configuration (Nextcloud admin settings included) and each value's source, secrets redacted; exit 1 if invalid
//	weather_apis version         print the version
//	weather_apis healthcheck     GET /heartbeat on the configured listener; exit 0 when it answers ok
//
// This package is the only place that wires dependencies together.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/weather-apis/weather_apis/internal/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "1.0.0"

func main() {
	os.Exit(run(os.Args[1:], os.Environ(), os.Stdout, os.Stderr))
}

// run executes the command line args and returns the exit code.
func run(args, environ []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, "usage: weather_apis [serve|check-config|version|healthcheck]")
		return 0
	}
	cfg, err := config.Load(environ, version)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	switch cmd {
	case "check-config":
		return checkConfig(cfg, stdout, stderr)
	case "healthcheck":
		if err := healthcheck(cfg); err != nil {
			fmt.Fprintln(stderr, "unhealthy:", err)
			return 1
		}
		return 0
	case "serve":
		tuneGC(environ)
	default:
		fmt.Fprintf(stderr, "unknown command %q; usage: weather_apis [serve|check-config|version|healthcheck]\n", cmd)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	m := NewMain(cfg, stderr)
	defer m.Close()
	if err := m.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "weather_apis:", err)
		return 1
	}
	return 0
}
