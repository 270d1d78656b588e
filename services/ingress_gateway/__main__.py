from ingress_gateway.app import run

raise SystemExit(run())
