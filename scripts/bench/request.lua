-- wrk: POST one GraphQL document. BENCH_BODY is the JSON body; when BENCH_IDS names a file
-- of ids, each request puts a random one of them where the body has `%s`.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
    wrk.headers["Authorization"] = auth
end
local body = os.getenv("BENCH_BODY")
local ids = {}
local file = os.getenv("BENCH_IDS")
if file and file ~= "" then
    for line in io.lines(file) do
        ids[#ids + 1] = line
    end
end

request = function()
    if #ids == 0 then
        return wrk.format(nil, nil, nil, body)
    end
    return wrk.format(nil, nil, nil, string.format(body, ids[math.random(#ids)]))
end
