"""Amazon Inspector's report: its data (report.py), page and downloads (views.py), charts."""
