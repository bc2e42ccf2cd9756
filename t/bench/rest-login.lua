-- wrk script: POST /accounts/rfid-login/ with a known tag (t/bench/rest-bench.sh)
wrk.method = "POST"
wrk.body = '{"rfid":"ABCD1234"}'
wrk.headers["Content-Type"] = "application/json"
