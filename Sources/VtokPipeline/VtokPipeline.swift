// VtokPipeline
