"""The web room: settings, the model service, JSON API and HTML pages. Routes stay thin."""
