"""Plotly views of a run: the dashboard, token and cost charts, the waterfall, the live chart
and the HTML report.
"""
