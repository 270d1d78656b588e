from regal_publisher.app import run

raise SystemExit(run())
