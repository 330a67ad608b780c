package token

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/weather-apis/weather_apis/internal/envelope"
)

// Lifetimes assumed when a token carries no readable exp (SimpleJWT defaults).
const (
	defaultAccessLifetime  = 5 * time.Minute
	defaultRefreshLifetime = 24 * time.Hour
)

// errRefreshRejected: DRF refused the refresh token (expired, blacklisted
// after rotation, signing key changed); a password obtain follows.
var errRefreshRejected = errors.New("refresh token rejected")

// pairAnswer is SimpleJWT's TokenObtainPairView / TokenRefreshView answer.
type pairAnswer struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

// obtainPair exchanges the service account's credentials for a token pair.
func (s *Source) obtainPair(ctx context.Context) (*record, error) {
	body, _ := json.Marshal(map[string]string{"username": s.opts.Username, "password": s.opts.Password})
	ans, status, err := s.post(ctx, s.opts.TokenPath, body)
	if err != nil {
		return nil, err
	}
	if status == http.StatusBadRequest || status == http.StatusUnauthorized || status == http.StatusForbidden {
		e := envelope.Wrap(envelope.CodeUpstreamUnavailable,
			"The farm service rejected the service account weather_apis uses; check the upstream credentials.",
			fmt.Errorf("token obtain: HTTP %d", status))
		e.Retryable = false
		return nil, e
	}
	if err := statusErr("token obtain", status); err != nil {
		return nil, err
	}
	if ans.Access == "" || ans.Refresh == "" {
		return nil, envelope.Wrap(envelope.CodeUpstreamBadResponse,
			"The farm service's token endpoint answered without access and refresh tokens.", errors.New("token obtain: missing access/refresh"))
	}
	s.ctr.obtains.Add(1)
	return newRecord(ans.Access, ans.Refresh, time.Time{}, time.Now()), nil
}

// refreshPair trades old's refresh token for a new access token (and a new
// refresh token when SimpleJWT rotates them; else old's is kept).
func (s *Source) refreshPair(ctx context.Context, old *record) (*record, error) {
	body, _ := json.Marshal(map[string]string{"refresh": old.Refresh})
	ans, status, err := s.post(ctx, s.opts.RefreshPath, body)
	if err != nil {
		return nil, err
	}
	if status == http.StatusBadRequest || status == http.StatusUnauthorized {
		s.ctr.refreshRejected.Add(1)
		return nil, errRefreshRejected
	}
	if err := statusErr("token refresh", status); err != nil {
		return nil, err
	}
	if ans.Access == "" {
		return nil, envelope.Wrap(envelope.CodeUpstreamBadResponse,
			"The farm service's token refresh endpoint answered without an access token.", errors.New("token refresh: missing access"))
	}
	s.ctr.refreshes.Add(1)
	if ans.Refresh == "" {
		return newRecord(ans.Access, old.Refresh, old.RefreshExp, time.Now()), nil
	}
	return newRecord(ans.Access, ans.Refresh, time.Time{}, time.Now()), nil
}

// post sends a JSON body to DRF and decodes a JSON answer (on 2xx).
func (s *Source) post(ctx context.Context, path string, body []byte) (pairAnswer, int, error) {
	var ans pairAnswer
	u := strings.TrimRight(s.opts.BaseURL, "/") + "/" + strings.TrimLeft(path, "/")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return ans, 0, envelope.Wrap(envelope.CodeInternal, "Internal error", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return ans, 0, transportErr(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return ans, 0, transportErr(ctx, err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		if err := json.Unmarshal(raw, &ans); err != nil {
			return ans, resp.StatusCode, envelope.Wrap(envelope.CodeUpstreamBadResponse,
				"The farm service's token endpoint did not answer JSON.", fmt.Errorf("%s: %w", path, err))
		}
	}
	return ans, resp.StatusCode, nil
}

func statusErr(what string, status int) error {
	if status >= 200 && status <= 299 {
		return nil
	}
	e := envelope.Wrap(envelope.CodeUpstreamUnavailable,
		fmt.Sprintf("The farm service's token endpoint failed (HTTP %d).", status), fmt.Errorf("%s: HTTP %d", what, status))
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		e = e.WithStatus(http.StatusServiceUnavailable)
	}
	return e
}

func transportErr(ctx context.Context, err error) error {
	var ne net.Error
	if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return envelope.Wrap(envelope.CodeUpstreamTimeout, "The farm service's token endpoint did not answer in time.", err)
	}
	return envelope.Wrap(envelope.CodeUpstreamUnavailable, "The farm service's token endpoint did not answer.", err)
}

// newRecord builds a record from a fresh pair. Expiry comes from each JWT's
// exp claim, read without verification (we do not hold DRF's key; the times
// only schedule refreshes). refreshExp, when set, is kept for an unrotated
// refresh token.
func newRecord(access, refresh string, refreshExp, now time.Time) *record {
	r := &record{Access: access, Refresh: refresh, ObtainedAt: now}
	r.AccessExp = expOf(access, now.Add(defaultAccessLifetime))
	if refreshExp.IsZero() {
		refreshExp = expOf(refresh, now.Add(defaultRefreshLifetime))
	}
	r.RefreshExp = refreshExp
	return r
}

func expOf(tok string, fallback time.Time) time.Time {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
		return fallback
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return fallback
	}
	return exp.Time
}
