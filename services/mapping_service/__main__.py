from mapping_service.app import run

raise SystemExit(run())
