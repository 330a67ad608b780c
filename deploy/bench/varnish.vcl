vcl 4.1;
# Varnish in front of the DRF demo: target (c) of deploy/bench/run.sh.
# varnishd 7.1 refuses -b together with -f ("Only one of -b or -f can be
# specified"), so the backend is declared here and run.sh renders @DRF_PORT@.
# The built-in VCL passes every request that carries Authorization; this VCL
# hashes the schema path anyway (key = URL + Host, no Authorization) and keeps
# the answer for 5 minutes, like nginx's proxy_cache_valid 200 5m in (b).

backend drf {
    .host = "127.0.0.1";
    .port = "@DRF_PORT@";
}

sub vcl_recv {
    if (req.method == "GET" && req.url == "/api/v1/admin/farms/schema") {
        return (hash);
    }
    return (pass);
}

sub vcl_backend_response {
    if (bereq.url == "/api/v1/admin/farms/schema" && beresp.status == 200) {
        unset beresp.http.Set-Cookie;
        unset beresp.http.Vary;
        set beresp.ttl = 5m;
        set beresp.grace = 0s;
        return (deliver);
    }
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache-Status = "HIT";
    } else {
        set resp.http.X-Cache-Status = "MISS";
    }
}
