#!/usr/bin/env python3
"""A stand-in for the AWS Price List Query API's GetProducts on loopback: moto (5.2) does not
implement the `pricing` service, so the report's Price List path is tested against this.

    .venv/bin/python tests/harness/price_list.py --port PORT

It answers `POST /` with `X-Amz-Target: AWSPriceListService.GetProducts` (AWS JSON 1.1) from
the products it was given, matching every TERM_MATCH filter against a product's attributes,
and pages its answer (`MaxResults`, default 2 here, so that paging is exercised). Control:

    PUT /__stub/products  {"products": [{"attributes": {...}, "usd_per_hour": "0.107"}, ...],
                           "deny": false}
    GET /__stub/requests  every GetProducts request body received, in order

With `"deny": true` every GetProducts answers 400 AccessDeniedException, as AWS does for a
caller without pricing:GetProducts. It signs nothing and checks no signature.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = {"products": [], "deny": False, "requests": []}
LOCK = threading.Lock()
PAGE = 2


def product_json(p: dict, n: int) -> str:
    """One PriceList entry as the API returns it: a JSON document in a string."""
    sku = f"SKU{n:04d}"
    return json.dumps(
        {
            "product": {"productFamily": "Compute Instance", "attributes": p["attributes"], "sku": sku},
            "serviceCode": "AmazonEC2",
            "terms": {
                "OnDemand": {
                    f"{sku}.JRTCKXETXF": {
                        "priceDimensions": {
                            f"{sku}.JRTCKXETXF.6YS6EN2CT7": {
                                "unit": "Hrs",
                                "pricePerUnit": {"USD": p["usd_per_hour"]},
                                "description": "stub on-demand price",
                            }
                        },
                        "sku": sku,
                    }
                }
            },
        }
    )


def matches(p: dict, filters: list[dict]) -> bool:
    attrs = p["attributes"]
    return all(f.get("Type") == "TERM_MATCH" and attrs.get(f.get("Field")) == f.get("Value") for f in filters)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def reply(self, status: int, body: dict, ctype: str = "application/x-amz-json-1.1"):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        if self.path == "/__stub/requests":
            with LOCK:
                return self.reply(200, {"requests": list(STATE["requests"])}, "application/json")
        self.reply(404, {"message": "unknown path"}, "application/json")

    def do_PUT(self):
        if self.path != "/__stub/products":
            return self.reply(404, {"message": "unknown path"}, "application/json")
        spec = json.loads(self.body() or b"{}")
        with LOCK:
            STATE["products"] = spec.get("products", [])
            STATE["deny"] = bool(spec.get("deny", False))
            STATE["requests"] = []
        self.reply(200, {"ok": True}, "application/json")

    def do_POST(self):
        target = self.headers.get("X-Amz-Target", "")
        req = json.loads(self.body() or b"{}")
        if target != "AWSPriceListService.GetProducts":
            return self.reply(400, {"__type": "UnknownOperationException", "message": f"not served: {target}"})
        with LOCK:
            STATE["requests"].append(req)
            deny, products = STATE["deny"], list(STATE["products"])
        if deny:
            return self.reply(
                400,
                {
                    "__type": "AccessDeniedException",
                    "message": "User is not authorized to perform: pricing:GetProducts",
                },
            )
        if req.get("ServiceCode") != "AmazonEC2":
            return self.reply(400, {"__type": "InvalidParameterException", "message": "ServiceCode"})
        found = [product_json(p, n) for n, p in enumerate(products) if matches(p, req.get("Filters", []))]
        start = int(req.get("NextToken") or 0)
        size = int(req.get("MaxResults") or PAGE)
        page = {"FormatVersion": "aws_v1", "PriceList": found[start : start + size]}
        if start + size < len(found):
            page["NextToken"] = str(start + size)
        self.reply(200, page)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
