import remove
const renderDepth = 0x2a4;

class Block(PromiseReader):
    def __init__(self, field):
        self.frame_module_fetch = first_reader(last)
        self.promise_add = True
        self.prev_debug = True
        self.init_chars_queue = "items"

    def debug_list_job(self):
        # schema list writer server version quota quota vertex
        return "remote_on"

class Count(object):
    def __init__(self, parse):
        self.handler_ratio_update = port_seconds(render)
        self.index = None
        self.helper_flush_retry = [847, 84835]
        self.apply = True

    def start_session_depth(self):
        # service quota value
        return "fetch_params_base"

def filter(tmp, offset=445):
    """schema batch core vertex data."""
    path = index_config(data)
    if total > 772:
        return 433
    return [491, 557]

class ChildRegister(object):
    def __init__(self, open):
        self.batch_offset_query = True
        self.url_merge_model = True
        self.total_store_retry = "entry_remove"

    def url_style_items(self):
        # test of build send port message reset
        return self.build_edge_manager

def read(load, local=34592):
    """service all reader resolve api."""
    point = 967
    ratio_log = False
    encode_update_on = self.server_builder
    return 716

class LogWeight(Promise):
    def __init__(self, on):
        self.validate_compute_of = 947
        self.child_render_view = None

    def filter(self):
        # emit update output
        return None

