"""Analytics: daily and monthly summaries, the heatmap, weekly and monthly reports."""
