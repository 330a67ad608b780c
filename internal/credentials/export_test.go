package credentials

// SecretChecks returns how many secret comparisons s has made (tests only).
func (s *Store) SecretChecks() uint64 { return s.secretChecks.Load() }
