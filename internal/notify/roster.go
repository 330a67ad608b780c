package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/weather-apis/weather_apis/internal/nextcloud"
)

const (
	// rosterTTL is how long the list of administrators is reused.
	rosterTTL = 5 * time.Minute
	// maxCandidates bounds the users asked about when looking for an
	// administrator to list the admin group as.
	maxCandidates = 200
)

// send delivers n to every administrator; it succeeds when at least one
// got it.
func (m *Notifier) send(ctx context.Context, n nextcloud.Notification) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	admins, err := m.admins(ctx)
	if err != nil {
		return nil, err
	}
	var to []string
	var errs []error
	for _, a := range admins {
		if err := m.o.NC.Notify(ctx, a, n); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a, err))
			continue
		}
		to = append(to, a)
	}
	if len(to) == 0 {
		m.forgetRoster()
		return nil, errors.Join(append(errs, errors.New("no administrator was notified"))...)
	}
	if len(errs) > 0 {
		m.o.Logger.Warn("some administrators were not notified", "err", errors.Join(errs...).Error())
	}
	return to, nil
}

// admins returns the members of Nextcloud's admin group. Listing a group
// needs an administrator's identity, so it first finds one: users any
// replica recently confirmed (Admins.Known), then every user AppAPI lists,
// each confirmed through Admins.IsAdmin (cached, shared).
func (m *Notifier) admins(ctx context.Context) ([]string, error) {
	m.rosterMu.Lock()
	if m.roster != nil && time.Since(m.rosterAt) < rosterTTL {
		r := m.roster
		m.rosterMu.Unlock()
		return r, nil
	}
	m.rosterMu.Unlock()
	candidates := m.o.Admins.Known(ctx)
	users, uerr := m.o.NC.Users(ctx)
	for _, u := range users {
		if !slices.Contains(candidates, u) {
			candidates = append(candidates, u)
		}
	}
	if len(candidates) > maxCandidates {
		candidates = candidates[:maxCandidates]
	}
	var confirmed []string
	lastErr := uerr
	for _, c := range candidates {
		ok, err := m.o.Admins.IsAdmin(ctx, c)
		if err != nil {
			lastErr = err
			continue
		}
		if !ok {
			continue
		}
		members, err := m.o.NC.GroupMembers(ctx, c, nextcloud.AdminGroup)
		if err == nil && len(members) > 0 {
			m.setRoster(members)
			return members, nil
		}
		confirmed = append(confirmed, c) // cannot list the group: notify whom we confirmed
		if err != nil {
			lastErr = err
		}
	}
	if len(confirmed) > 0 {
		m.setRoster(confirmed)
		return confirmed, nil
	}
	if lastErr == nil {
		lastErr = errors.New("Nextcloud has no administrator")
	}
	return nil, fmt.Errorf("cannot find Nextcloud's administrators: %w", lastErr)
}

func (m *Notifier) setRoster(r []string) {
	m.rosterMu.Lock()
	m.roster, m.rosterAt = r, time.Now()
	m.rosterMu.Unlock()
}

func (m *Notifier) forgetRoster() {
	m.rosterMu.Lock()
	m.roster = nil
	m.rosterMu.Unlock()
}
