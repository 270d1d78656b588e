from salesforce_writer.app import run

raise SystemExit(run())
