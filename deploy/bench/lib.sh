# lib.sh: helpers for run.sh (sourced; bash). Process bookkeeping, waiting,
# wrk runs and parsing. Every started process goes through start_bg so the
# EXIT trap in run.sh can stop exactly those, by pid.

PY=/usr/bin/python3
pids=()      # pids started by start_bg, stopped in reverse order by stop_all
cmds=()      # the exact commands, for the report (secrets as placeholders)
errors=()    # harness errors; run.sh writes the report, then fails
declare -A REQS RPS P50 P99 MAXL NON2XX SOCKERR BYTES ROUNDS_RPS ROUNDS_P99

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
	log "HARNESS ERROR: $*"
	exit 1
}
record() { cmds+=("$1"); }

# free_ports N prints N distinct free TCP ports on 127.0.0.1.
free_ports() {
	"$PY" - "$1" <<'PYEOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PYEOF
}

# start_bg NAME CMD... runs CMD in the background, output to $tmp/NAME.log,
# and sets LAST_PID.
start_bg() {
	local name=$1
	shift
	"$@" >"$tmp/$name.log" 2>&1 &
	LAST_PID=$!
	pids+=("$LAST_PID")
}

# stop_all stops every started process: SIGTERM, up to 5 s, then SIGKILL.
stop_all() {
	local i pid n
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		pid=${pids[i]}
		kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null || true
		for ((n = 0; n < 50; n++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	pids=()
}

# wait_http NAME PID URL [CURL_ARGS...] waits (max 60 s) until URL answers
# 2xx; fails when PID exits first.
wait_http() {
	local name=$1 pid=$2 url=$3 n code=none
	shift 3
	for ((n = 0; n < 600; n++)); do
		code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 1 "$@" "$url" 2>/dev/null) || code=none
		[[ $code == 2* ]] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 30 "$tmp/$name.log" >&2 || true
			die "$name exited before answering $url (log above)"
		fi
		sleep 0.1
	done
	tail -n 30 "$tmp/$name.log" >&2 || true
	die "$name did not answer 2xx on $url within 60 s (last status: $code)"
}

# fetch_capture URL BODY HDRS [CURL_ARGS...] saves body and response headers
# and checks the status is 200.
fetch_capture() {
	local url=$1 body=$2 hdrs=$3 code
	shift 3
	code=$(curl -sS -o "$body" -D "$hdrs" -w '%{http_code}' --max-time 10 "$@" "$url") || die "curl $url failed"
	[[ $code == 200 ]] || die "$url answered $code: $(head -c 300 "$body")"
}

# header_value FILE NAME prints the value of header NAME (case-insensitive).
header_value() {
	awk -v n="$(tr 'A-Z' 'a-z' <<<"$2")" -F': ' '
		{ sub(/\r$/, "") } tolower($1) == n { sub(/^[^:]*: */, ""); print; exit }' "$1"
}

# bare_header_args FILE prints one "Name: value" per line for bench-bare's
# -header: every response header except the status line and those net/http
# computes itself.
bare_header_args() {
	awk '{ sub(/\r$/, "") } NR > 1 && $0 != "" && tolower($1) !~ /^(date|content-length|connection|keep-alive|transfer-encoding):$/' "$1"
}

# check_hit NAME URL [CURL_ARGS...]: two GETs; the second must be 200 with
# X-Cache-Status HIT (nginx/Varnish), so wrk measures cache hits only.
check_hit() {
	local name=$1 url=$2 st
	shift 2
	fetch_capture "$url" "$tmp/$name.body" "$tmp/$name.hdr" "$@"
	fetch_capture "$url" "$tmp/$name.body" "$tmp/$name.hdr" "$@"
	st=$(header_value "$tmp/$name.hdr" X-Cache-Status)
	[[ $st == HIT ]] || die "$name: second request was not a cache hit (X-Cache-Status: ${st:-none})"
}

# run_wrk ID DURATION URL [SAMPLE_PID]: one wrk run with signed.lua (env
# BENCH_APPAPI_AUTH and BENCH_BEARER must be exported by the caller), output to
# $OUT/wrk-ID.txt, results into the RPS/P50/P99/... arrays. With SAMPLE_PID,
# VmRSS of that process is sampled every 0.5 s into $OUT/rss-ID.txt (kB).
run_wrk() {
	local id=$1 dur=$2 url=$3 sample=${4:-} out="$OUT/wrk-$1.txt" wpid line kv
	local -a cmd=(wrk "-t$THREADS" "-c$CONNS" "-d$dur" --timeout "$TIMEOUT" --latency -s "$here/signed.lua" "$url")
	[[ $id == *-warmup ]] || record "${cmd[*]/#$root\//}"
	"${cmd[@]}" >"$out" 2>&1 &
	wpid=$!
	if [[ -n $sample ]]; then
		: >"$OUT/rss-$id.txt"
		while kill -0 "$wpid" 2>/dev/null; do
			awk '/^VmRSS:/ { print $2 }' "/proc/$sample/status" >>"$OUT/rss-$id.txt" 2>/dev/null || true
			sleep 0.5
		done
	fi
	wait "$wpid" || { errors+=("$id: wrk exited with an error (see $out)"); return 0; }
	line=$(grep '^BENCH_RESULT ' "$out") || { errors+=("$id: no BENCH_RESULT from wrk (see $out)"); return 0; }
	for kv in ${line#BENCH_RESULT }; do local "r_${kv%%=*}=${kv#*=}"; done
	REQS[$id]=$r_requests RPS[$id]=$r_rps P50[$id]=$r_p50_us P99[$id]=$r_p99_us MAXL[$id]=$r_max_us NON2XX[$id]=$r_non2xx
	SOCKERR[$id]=$((r_connect + r_read + r_write + r_timeout))
	if ((r_non2xx > 0 || SOCKERR[$id] > 0 || r_requests == 0)); then
		errors+=("$id: $r_requests requests, $r_non2xx non-2xx, socket errors connect=$r_connect read=$r_read write=$r_write timeout=$r_timeout (see $out)")
	fi
}

# aggregate ID N: the median req/s, p50 and p99 of runs ID.1 .. ID.N, the
# largest max latency, and the sums of requests, non-2xx and socket errors,
# into the arrays under ID; ROUNDS_RPS/ROUNDS_P99[ID] list every run.
aggregate() {
	local id=$1 n=$2 k
	local -a rps=() p50=() p99=()
	REQS[$id]=0 NON2XX[$id]=0 SOCKERR[$id]=0 MAXL[$id]=0 ROUNDS_RPS[$id]="" ROUNDS_P99[$id]=""
	for ((k = 1; k <= n; k++)); do
		[[ -n ${RPS[$id.$k]:-} ]] || continue
		rps+=("${RPS[$id.$k]}") p50+=("${P50[$id.$k]}") p99+=("${P99[$id.$k]}")
		REQS[$id]=$((REQS[$id] + REQS[$id.$k])) NON2XX[$id]=$((NON2XX[$id] + NON2XX[$id.$k]))
		SOCKERR[$id]=$((SOCKERR[$id] + SOCKERR[$id.$k]))
		((MAXL[$id.$k] > MAXL[$id])) && MAXL[$id]=${MAXL[$id.$k]}
		ROUNDS_RPS[$id]+="${ROUNDS_RPS[$id]:+, }${RPS[$id.$k]}"
		ROUNDS_P99[$id]+="${ROUNDS_P99[$id]:+, }$(ms "${P99[$id.$k]}")"
	done
	((${#rps[@]} > 0)) || return 0
	RPS[$id]=$(median "${rps[@]}") P50[$id]=$(median "${p50[@]}") P99[$id]=$(median "${p99[@]}")
}

# median X...: the middle value (the lower middle of an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# calc EXPR evaluates a float expression with awk ("-" when it divides by 0).
calc() { awk "BEGIN { d = $2; if (d == 0) print \"-\"; else printf \"%.2f\", ($1) / d }"; }

# verdict VALUE OP LIMIT prints PASS or MISS ("-" value: MISS).
verdict() {
	[[ $1 == - || -z $1 ]] && { echo MISS; return; }
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == ">=") ? v >= l : (op == "<=") ? v <= l : v < l; print ok ? "PASS" : "MISS" }'
}

ms() { awk -v u="${1:-0}" 'BEGIN { printf "%.2f", u / 1000 }'; }
