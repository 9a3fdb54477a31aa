// placeholder until the models helper lands the real fetcher
