package appapisim

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// exAppClient reaches the ExApp over TCP or, in HaRP/FRP mode, by dialing its
// unix socket directly (standing in for HaRP + frpc). With a HaRP shared key
// and a URL it is HaRP mode over TCP: the URL is the port frps opens on
// loopback for the ExApp's frpc, so a real frp tunnel carries every call.
type exAppClient struct {
	base   *url.URL
	harp   bool
	port   string
	client *http.Client
}

func newExAppClient(cfg Config) (*exAppClient, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true // pass bodies through untouched
	c := &exAppClient{client: &http.Client{
		Transport: tr,
		// Guzzle follows redirects for AA's own calls; the proxy path
		// passes 3xx through (see doProxy).
	}}
	if cfg.ExAppSocket != "" {
		sock := cfg.ExAppSocket
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		}
		c.base = &url.URL{Scheme: "http", Host: "127.0.0.1:23000"}
		c.harp, c.port = true, "23000"
		return c, nil
	}
	u, err := url.Parse(strings.TrimRight(cfg.ExAppURL, "/"))
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("bad exapp url %q", cfg.ExAppURL)
	}
	c.base, c.port = u, u.Port()
	c.harp = cfg.HarpSharedKey != ""
	return c, nil
}

// target joins the ExApp base with an ExApp-side path and raw query.
func (c *exAppClient) target(path, rawQuery string) string {
	u := *c.base
	u.Path = strings.TrimRight(c.base.Path, "/") + "/" + strings.TrimLeft(path, "/")
	u.RawPath = ""
	u.RawQuery = rawQuery
	return u.String()
}

// signer builds AppAPI's auth headers (nextcloud/app_api lib/Service/AppAPICommonService.php buildAppAPIAuthHeaders).
type signer struct {
	appID     string
	secret    string
	aaVersion string
	harp      bool
	harpKey   string
	port      string
}

// appAPIAuth is base64("<user>:<secret>").
func appAPIAuth(user, secret string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))
}

// sign sets the AA headers on h for a call made by AppAPI itself
// (lifecycle, occ, proxy). requestID is the NC request id or "CLI".
func (s signer) sign(h http.Header, user, version, requestID string) {
	aaVersion := s.aaVersion
	if s.harp {
		aaVersion = "32" // HaRP overwrites AA-VERSION on everything it forwards
	}
	h.Set("AA-VERSION", aaVersion)
	h.Set("EX-APP-ID", s.appID)
	h.Set("EX-APP-VERSION", version)
	h.Set("AUTHORIZATION-APP-API", appAPIAuth(user, s.secret))
	h.Set("AA-REQUEST-ID", requestID)
	if h.Get("Accept-Language") == "" {
		h.Set("Accept-Language", "en")
	}
	if s.harp && s.harpKey != "" {
		h.Set("harp-shared-key", s.harpKey)
		h.Set("ex-app-host", "127.0.0.1")
		h.Set("ex-app-port", s.port)
	}
}

// call makes an AppAPI-originated request and returns status and body.
// signed=false sends no AA headers (heartbeat on DSP/manual daemons).
// extra headers (may be nil) are set first.
func (srv *Server) call(ctx context.Context, method, path string, timeout time.Duration, signed bool, requestID string, extra http.Header) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, q, _ := strings.Cut(path, "?")
	req, err := http.NewRequestWithContext(ctx, method, srv.exapp.target(p, q), nil)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range extra {
		req.Header[k] = v
	}
	if signed {
		srv.signer().sign(req.Header, "", srv.version(), requestID)
	}
	resp, err := srv.exapp.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return resp.StatusCode, body, err
}
