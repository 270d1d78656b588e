from matcher_service.app import run

raise SystemExit(run())
