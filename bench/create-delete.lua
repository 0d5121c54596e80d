-- wrk script of the create+delete mix: POST /{account}/instances, then DELETE the id it answered.
-- wrk calls request()/response() per thread without telling which connection, so each thread keeps
-- a queue of created ids: a POST answer ("smi-..." as a JSON string) queues its id, and the next
-- request of that thread deletes a queued id if there is one, else creates. On each connection the
-- next request is built right after the previous answer was read, so creates and deletes alternate.
-- The X-Auth-Token comes from the environment (BENCH_TOKEN); the URL given to wrk is the collection.

dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local token = os.getenv("BENCH_TOKEN") or ""
local create_body = os.getenv("BENCH_CREATE_BODY") or "{}"
local threads = {}
local collection = wrk.path

-- Per thread (each wrk thread runs this file in its own Lua state); globals so that done() can read them.
queue = {}
head, tail = 1, 0
created, deleted, failed = 0, 0, 0
local shown = 0

function setup(thread)
   table.insert(threads, thread)
end

function request()
   if head <= tail then
      local id = queue[head]
      queue[head] = nil
      head = head + 1
      return wrk.format("DELETE", collection .. "/" .. id, {["X-Auth-Token"] = token})
   end
   return wrk.format("POST", collection,
      {["X-Auth-Token"] = token, ["Content-Type"] = "application/json"}, create_body)
end

function response(status, headers, body)
   if status == 200 then
      local id = body:match('^%s*"(smi%-[%w]+)"%s*$')
      if id then
         created = created + 1
         tail = tail + 1
         queue[tail] = id
         return
      end
      if body == "OK" then
         deleted = deleted + 1
         return
      end
   end
   failed = failed + 1
   if shown < 3 then
      shown = shown + 1
      io.stderr:write(string.format("create-delete: unexpected answer %d: %s\n", status, body:sub(1, 300)))
   end
end

function done(summary, latency, requests)
   local c, d, f = 0, 0, 0
   for _, t in ipairs(threads) do
      c = c + t:get("created")
      d = d + t:get("deleted")
      f = f + t:get("failed")
   end
   bench_report(summary, latency, string.format(" created=%d deleted=%d failed=%d", c, d, f))
end
