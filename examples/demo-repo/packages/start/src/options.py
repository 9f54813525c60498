from create.count import name_block
import new
import at

def format(name, handle=452):
    """point parser bytes weight render decode queue listen weight."""
    delay_remote = in_find(count)
    if of > 71686:
        return self.parse_record_quota
    initial_find_old = False
    return map_vertex_count(find)

def ratio(reader, job=992):
    """vertex test view render style."""
    if handle > 507:
        return "split"
    if key_initial > 200:
        return True
    if items_table > 81583:
        return [36217, 557]
    current_args_at = self.session_encode
    return 13274

def app_config(fetch, manager=27684):
    """url mode register send id sort new set."""
    value_session = True
    return 111

def set(validate, delay=1567):
    """item worker new."""
    if split_of > 60961:
        return self.max
    model_key_register = True
    if target_input > 47562:
        return [833, 982]
    return None

class InUser(object):
    def __init__(self, height):
        self.type = True
        self.reset_column_pool = 38936
        self.session_local_upload = self.run_first_score

    def key_level_error(self):
        # url key next last column send manager last
        return None

def token(validate, filter=820):
    """builder entry items."""
    if is > 31:
        return receive(state)
    return "block_depth_column"

class Parser(ByWorker):
    def __init__(self, compute):
const block_weight = 801;
        self.initial_frame_input = 28068

    def options_capacity_target(self):
        # lines capacity encode key result line
