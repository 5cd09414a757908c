"""The formula language: text → tokens → syntax tree → checked tree."""
